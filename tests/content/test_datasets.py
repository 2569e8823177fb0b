"""``/api/v1/datasets`` over HTTP with real credentials issued by the auth service: create,
read by slug or id, update, soft delete, browse; slugs, access (404 for private), admin-only
flags, and every bad input answering a clear 4xx with nothing changed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from fltr_auth.users.models import User
from tests.auth.helpers import SignedUp, sign_up
from tests.content.test_api_keys import new_key

pytestmark = pytest.mark.core

DATASETS = "/api/v1/datasets"


async def make_admin(auth_app: FastAPI, auth_client: httpx.AsyncClient) -> SignedUp:
    """An admin, promoted before it ever calls the content service (whose cache is cold)."""
    account = await sign_up(auth_client, name="Admin")
    async with auth_app.state.db.transaction() as db:
        user = await db.get(User, account.user["id"])
        assert user is not None
        user.role = "admin"
    return account


async def create(
    client: httpx.AsyncClient, who: SignedUp, name: str = "Drug Interactions", **body: Any
) -> dict[str, Any]:
    response = await client.post(DATASETS, json={"name": name, **body}, headers=who.bearer)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def listed_ids(
    client: httpx.AsyncClient, headers: dict[str, str] | None = None, **params: Any
) -> list[str]:
    response = await client.get(DATASETS, params={"limit": 100, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_create_read_update_delete(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client)
    made = await create(
        content_client,
        owner,
        description="Known interactions between drugs.",
        category="medical",
        pricing_model="subscription",
        price_monthly_cents=900,
        metadata={"source": "fda"},
        tags=["pharma"],
    )
    assert made["slug"] == "drug-interactions"
    assert len(made["id"]) == 32
    assert made["status"] == "uploading"
    assert made["visibility"] == "public"
    assert made["owner_id"] == owner.user["id"]
    assert made["owner_type"] == "user"
    assert made["metadata"] == {"source": "fda"}
    assert made["tags"] == ["pharma"]

    for key in (made["slug"], made["id"]):
        read = await content_client.get(f"{DATASETS}/{key}")
        assert read.status_code == 200, read.text
        assert read.json()["id"] == made["id"]

    patched = await content_client.patch(
        f"{DATASETS}/{made['slug']}",
        json={"name": "Drug Interactions 2026", "slug": "drugs-2026", "category": "tech"},
        headers=owner.bearer,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["slug"] == "drugs-2026"
    assert patched.json()["category"] == "tech"
    assert (await content_client.get(f"{DATASETS}/drug-interactions")).status_code == 404
    assert (await content_client.get(f"{DATASETS}/drugs-2026")).json()["name"] == (
        "Drug Interactions 2026"
    )

    deleted = await content_client.delete(f"{DATASETS}/drugs-2026", headers=owner.bearer)
    assert deleted.status_code == 204
    gone = await content_client.get(f"{DATASETS}/{made['id']}", headers=owner.bearer)
    assert gone.status_code == 404
    assert gone.json()["error"] == "dataset_not_found"
    assert made["id"] not in await listed_ids(content_client, owner.bearer)
    again = await content_client.delete(f"{DATASETS}/{made['id']}", headers=owner.bearer)
    assert again.status_code == 404


async def test_slugs_are_generated_and_collisions_resolved(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client)
    first = await create(content_client, owner, "Café Law: EU & UK!")
    second = await create(content_client, owner, "cafe law eu uk")
    third = await create(content_client, owner, "Cafe  Law -- EU UK")
    assert [first["slug"], second["slug"], third["slug"]] == [
        "cafe-law-eu-uk",
        "cafe-law-eu-uk-2",
        "cafe-law-eu-uk-3",
    ]
    only_symbols = await create(content_client, owner, "!!!")
    assert only_symbols["slug"] == "dataset"


async def test_duplicate_explicit_slug_is_409_and_changes_nothing(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client)
    await create(content_client, owner, "One", slug="taken")
    other = await create(content_client, owner, "Two")
    before = await listed_ids(content_client, owner.bearer)

    duplicate = await content_client.post(
        DATASETS, json={"name": "Three", "slug": "taken"}, headers=owner.bearer
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["error"] == "slug_taken"
    renamed = await content_client.patch(
        f"{DATASETS}/{other['id']}", json={"slug": "taken"}, headers=owner.bearer
    )
    assert renamed.status_code == 409
    assert await listed_ids(content_client, owner.bearer) == before
    assert (await content_client.get(f"{DATASETS}/{other['id']}")).json()["slug"] == "two"


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "category": "astrology"},
        {"name": "x", "description": "d" * 10_001},
        {"name": "x", "visibility": "secret"},
        {"name": "x", "price_monthly_cents": -1},
        {"name": ""},
        {"name": "x", "slug": "Not A Slug"},
    ],
    ids=["category", "description", "visibility", "price", "name", "slug"],
)
async def test_bad_create_bodies_are_422_and_create_nothing(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    owner = await sign_up(auth_client)
    response = await content_client.post(DATASETS, json=body, headers=owner.bearer)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "validation_error"
    assert await listed_ids(content_client, owner.bearer, owner=owner.user["id"]) == []


async def test_description_at_the_limit_is_accepted(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client)
    made = await create(content_client, owner, description="d" * 10_000)
    assert len(made["description"]) == 10_000


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"limit": 101}, 422, "validation_error"),
        ({"limit": 0}, 422, "validation_error"),
        ({"sort": "alphabetical"}, 422, "validation_error"),
        ({"category": "astrology"}, 422, "validation_error"),
        ({"cursor": "not-a-cursor!"}, 400, "invalid_cursor"),
        ({"cursor": "WzEsMl0"}, 400, "invalid_cursor"),  # [1,2]: no id string
        ({"cursor": "WyJub3QgYSBkYXRlIiwiYSJd"}, 400, "invalid_cursor"),  # ["not a date","a"]
        ({"cursor": "WzEsImEiXQ", "offset": 1}, 400, "invalid_cursor"),
    ],
)
async def test_bad_listing_parameters(
    content_client: httpx.AsyncClient, params: dict[str, Any], status: int, code: str
) -> None:
    response = await content_client.get(DATASETS, params=params)
    assert response.status_code == status, response.text
    assert response.json()["error"] == code


async def test_private_is_404_to_others_and_anonymous_but_admins_see_it(
    auth_client: httpx.AsyncClient,
    content_client: httpx.AsyncClient,
    auth_app: FastAPI,
) -> None:
    admin = await make_admin(auth_app, auth_client)
    owner = await sign_up(auth_client)
    stranger = await sign_up(auth_client)
    private = await create(content_client, owner, "Secret Cases", visibility="private")
    premium = await create(content_client, owner, "Premium Cases", visibility="premium")
    public = await create(content_client, owner, "Open Cases")
    path = f"{DATASETS}/{private['slug']}"

    for headers in (None, stranger.bearer):
        hidden = await content_client.get(path, headers=headers)
        assert hidden.status_code == 404
        missing = await content_client.get(f"{DATASETS}/no-such-dataset", headers=headers)
        assert missing.status_code == 404
        # the same answer as for a dataset that does not exist (but for the request id)
        assert hidden.json() | {"request_id": None} == missing.json() | {"request_id": None}
        assert hidden.json()["error"] == "dataset_not_found"
        listed = await listed_ids(content_client, headers, owner=owner.user["id"])
        assert sorted(listed) == sorted([premium["id"], public["id"]])
    # a stranger cannot tell a private dataset from a missing one, even when writing
    edit = await content_client.patch(path, json={"name": "Mine"}, headers=stranger.bearer)
    assert edit.status_code == 404
    assert (await content_client.delete(path, headers=stranger.bearer)).status_code == 404
    # but may not edit a public one either
    refused = await content_client.patch(
        f"{DATASETS}/{public['id']}", json={"name": "Mine"}, headers=stranger.bearer
    )
    assert refused.status_code == 403

    assert (await content_client.get(path, headers=owner.bearer)).status_code == 200
    assert (await content_client.get(path, headers=admin.bearer)).status_code == 200
    for who in (owner, admin):
        listed = await listed_ids(content_client, who.bearer, owner=owner.user["id"])
        assert private["id"] in listed
    assert (await content_client.get(path)).json()["error"] == "dataset_not_found"
    assert (await content_client.get(path, headers=owner.bearer)).json()["name"] == "Secret Cases"


async def test_featured_and_verified_are_admin_only(
    auth_client: httpx.AsyncClient,
    content_client: httpx.AsyncClient,
    auth_app: FastAPI,
) -> None:
    admin = await make_admin(auth_app, auth_client)
    owner = await sign_up(auth_client)
    made = await create(content_client, owner)
    path = f"{DATASETS}/{made['id']}"
    for flag in ("is_featured", "is_verified"):
        refused = await content_client.patch(
            path, json={flag: True, "name": "Renamed"}, headers=owner.bearer
        )
        assert refused.status_code == 403
        assert refused.json()["error"] == "forbidden"
    nulled = await content_client.patch(
        path, json={"name": None, "is_featured": None, "price_cents": None}, headers=owner.bearer
    )
    assert nulled.status_code == 200, nulled.text  # null leaves a required field alone
    unchanged = (await content_client.get(path)).json()
    assert (unchanged["is_featured"], unchanged["is_verified"], unchanged["name"]) == (
        False,
        False,
        made["name"],
    )

    granted = await content_client.patch(
        path, json={"is_featured": True, "is_verified": True}, headers=admin.bearer
    )
    assert granted.status_code == 200, granted.text
    assert granted.json()["is_featured"] is True
    assert made["id"] in await listed_ids(content_client, featured=True, verified=True)
    assert made["id"] not in await listed_ids(content_client, featured=False)
    # an admin may also delete someone else's dataset
    assert (await content_client.delete(path, headers=admin.bearer)).status_code == 204


async def test_writing_needs_a_credential_with_write_scope(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client)
    anonymous = await content_client.post(DATASETS, json={"name": "Anon"})
    assert anonymous.status_code == 401
    read_only = await new_key(auth_client, owner)
    refused = await content_client.post(
        DATASETS, json={"name": "By Key"}, headers={"X-API-Key": read_only["key"]}
    )
    assert refused.status_code == 403
    assert await listed_ids(content_client, owner=owner.user["id"]) == []
    writer = await new_key(auth_client, owner, scopes=["read", "write"])
    made = await content_client.post(
        DATASETS, json={"name": "By Key"}, headers={"X-API-Key": writer["key"]}
    )
    assert made.status_code == 201, made.text
    assert made.json()["owner_id"] == owner.user["id"]


async def test_filters_and_search(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client)
    other = await sign_up(auth_client)
    law = await create(content_client, owner, "Contract Law", category="legal")
    trips = await create(
        content_client, owner, "Trips", category="travel", description="Visa RULES by country"
    )
    theirs = await create(content_client, other, "Their Law", category="legal")

    assert {law["id"], theirs["id"]} <= set(await listed_ids(content_client, category="legal"))
    mine_legal = await listed_ids(content_client, category="legal", owner=owner.user["id"])
    assert mine_legal == [law["id"]]
    assert await listed_ids(content_client, q="visa rules", owner=owner.user["id"]) == [trips["id"]]
    assert await listed_ids(content_client, q="LAW", owner=other.user["id"]) == [theirs["id"]]
    assert await listed_ids(content_client, q="100%_", owner=owner.user["id"]) == []


async def test_cursor_pagination_walks_every_item_once(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client)
    made = [(await create(content_client, owner, f"Set {i}"))["id"] for i in range(7)]
    for sort in ("newest", "rating", "popularity"):
        seen: list[str] = []
        cursor: str | None = None
        pages = 0
        while True:
            params: dict[str, Any] = {"owner": owner.user["id"], "limit": 3, "sort": sort}
            if cursor is not None:
                params["cursor"] = cursor
            page = await content_client.get(DATASETS, params=params)
            assert page.status_code == 200, page.text
            body = page.json()
            assert body["total"] is None
            seen.extend(item["id"] for item in body["items"])
            pages += 1
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert pages == 3
        assert sorted(seen) == sorted(made)
        assert len(seen) == len(set(seen))
    newest_first = await listed_ids(content_client, owner=owner.user["id"])
    assert newest_first == list(reversed(made))

    offset_page = await content_client.get(
        DATASETS, params={"owner": owner.user["id"], "limit": 5, "offset": 5}
    )
    body = offset_page.json()
    assert body["total"] == 7
    assert [item["id"] for item in body["items"]] == list(reversed(made))[5:]
