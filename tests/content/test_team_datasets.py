"""Team ownership: a dataset created with ``team_id`` belongs to the team (organization);
only its owners and admins may create and change it, every member may read it when private,
and anyone else is told 404 for a private one."""

from __future__ import annotations

import httpx
import pytest

from tests.auth.helpers import sign_up
from tests.content.catalog_support import create_org, join
from tests.content.test_datasets import DATASETS, create, listed_ids

pytestmark = pytest.mark.core


async def test_team_roles_decide_create_read_and_edit(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client)
    team = await create_org(auth_client, owner)
    admin = await join(auth_client, owner, team["id"], "admin")
    member = await join(auth_client, owner, team["id"], "member")
    stranger = await sign_up(auth_client)

    made = await create(
        content_client, owner, "Team Secrets", team_id=team["id"], visibility="private"
    )
    assert (made["owner_type"], made["owner_id"]) == ("team", team["id"])
    by_admin = await create(content_client, admin, "Admin Made", team_id=team["id"])
    assert by_admin["owner_id"] == team["id"]
    for who in (member, stranger):
        refused = await content_client.post(
            DATASETS, json={"name": "Not Mine", "team_id": team["id"]}, headers=who.bearer
        )
        assert refused.status_code == 403
        assert refused.json()["error"] == "not_team_admin"
    unknown = await content_client.post(
        DATASETS, json={"name": "Nowhere", "team_id": "no-such-team"}, headers=owner.bearer
    )
    assert unknown.status_code == 403
    assert await listed_ids(content_client, owner.bearer, owner=team["id"]) == [
        by_admin["id"],
        made["id"],
    ]

    path = f"{DATASETS}/{made['slug']}"
    for who in (owner, admin, member):
        assert (await content_client.get(path, headers=who.bearer)).status_code == 200
        assert made["id"] in await listed_ids(content_client, who.bearer, owner=team["id"])
    assert (await content_client.get(path, headers=stranger.bearer)).status_code == 404
    assert made["id"] not in await listed_ids(content_client, stranger.bearer, owner=team["id"])

    edit = {"description": "Changed by the team"}
    assert (await content_client.patch(path, json=edit, headers=member.bearer)).status_code == 403
    assert (await content_client.patch(path, json=edit, headers=stranger.bearer)).status_code == 404
    changed = await content_client.patch(path, json=edit, headers=admin.bearer)
    assert changed.status_code == 200, changed.text
    assert (await content_client.delete(path, headers=member.bearer)).status_code == 403
    assert (await content_client.delete(path, headers=owner.bearer)).status_code == 204
