"""Reviews of a team's private dataset (found by the cross-service access matrix): the team's
members see it, so they review it, list its reviews and vote; its editors (the team's owners
and admins) may not review their own dataset; a read-only key is 403 ``insufficient_scope``.
Before the fix the reviews endpoints did not ask for the caller's teams, so every member got
404 and the team's owner could rate its own dataset."""

from __future__ import annotations

import httpx

from tests.auth.helpers import sign_up
from tests.content.catalog_support import create_org, join
from tests.content.test_api_keys import new_key
from tests.content.test_datasets import DATASETS, create


async def test_team_members_review_and_editors_may_not(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client, name="Team Owner")
    team = await create_org(auth_client, owner)
    member = await join(auth_client, owner, team["id"], "member")
    team_admin = await join(auth_client, owner, team["id"], "admin")
    outsider = await sign_up(auth_client)
    dataset = await create(
        content_client, owner, "Team Notes", team_id=team["id"], visibility="private"
    )
    url = f"{DATASETS}/{dataset['slug']}/reviews"

    written = await content_client.put(url, json={"rating": 4}, headers=member.bearer)
    assert written.status_code == 201, written.text
    listed = await content_client.get(url, headers=member.bearer)
    assert listed.status_code == 200, listed.text
    assert [r["id"] for r in listed.json()["items"]] == [written.json()["id"]]

    for editor in (owner, team_admin):
        refused = await content_client.put(url, json={"rating": 5}, headers=editor.bearer)
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"] == "own_dataset"
    read_key = await new_key(auth_client, member, scopes=["read"])
    scoped = await content_client.put(
        url, json={"rating": 1}, headers={"X-API-Key": read_key["key"]}
    )
    assert scoped.status_code == 403, scoped.text
    assert scoped.json()["error"] == "insufficient_scope"
    hidden = await content_client.put(url, json={"rating": 1}, headers=outsider.bearer)
    assert hidden.status_code == 404, hidden.text

    voted = await content_client.post(
        f"/api/v1/reviews/{written.json()['id']}/helpful", headers=team_admin.bearer
    )
    assert voted.status_code == 200, voted.text
    assert voted.json()["helpful_count"] == 1
    after = (await content_client.get(f"{DATASETS}/{dataset['id']}", headers=owner.bearer)).json()
    assert (after["rating_average"], after["rating_count"]) == (4, 1)
    removed = await content_client.delete(f"{url}/mine", headers=member.bearer)
    assert removed.status_code == 204, removed.text


async def test_a_read_only_key_asking_for_a_change_is_insufficient_scope(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client)
    dataset = await create(content_client, owner, "Mine")
    read_key = {"X-API-Key": (await new_key(auth_client, owner, scopes=["read"]))["key"]}
    edited = await content_client.patch(
        f"{DATASETS}/{dataset['id']}", json={"name": "Renamed"}, headers=read_key
    )
    assert edited.status_code == 403, edited.text
    assert edited.json()["error"] == "insufficient_scope"
    made = await content_client.post(DATASETS, json={"name": "Another"}, headers=read_key)
    assert made.status_code == 403, made.text
    assert made.json()["error"] == "insufficient_scope"
    # the same key still reads
    assert (await content_client.get(f"{DATASETS}/{dataset['id']}", headers=read_key)).is_success


async def test_a_dead_credential_is_401_where_anonymous_callers_are_served(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client)
    dataset = await create(content_client, owner, "Open", visibility="public")
    key = await new_key(auth_client, owner)
    revoked = await auth_client.delete(f"/api/v1/api-keys/{key['id']}", headers=owner.bearer)
    assert revoked.status_code == 200, revoked.text
    path = f"{DATASETS}/{dataset['id']}"
    assert (await content_client.get(path)).status_code == 200  # anonymous: served
    for headers in ({"X-API-Key": key["key"]}, {"Authorization": "Bearer not-a-session"}):
        refused = await content_client.get(path, headers=headers)
        assert refused.status_code == 401, refused.text
        assert refused.json()["error"] == "unauthorized"
        assert refused.headers["www-authenticate"] == "Bearer"
