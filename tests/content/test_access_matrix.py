"""The catalog's access matrix, one parametrized test: {anonymous, other user, team member,
owner, admin, key with the dataset on its allowlist, key without it} x {public, private,
premium} x {read listing, read content, edit, delete} -> the documented answer (the table in
README.md, "Catalog: who may do what").

The dataset belongs to a team (organization): "owner" created it as the team's owner,
"team member" is a plain member of that team. Both keys are the owner's, at read+write
scope; one's allowlist names the dataset, the other's names another dataset only. "Read
content" is ``datasets.entitlement.can_read_content`` (what search and MCP ask); the premium
dataset is sold by subscription and nobody here has one.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from fltr_content.datasets.entitlement import can_read_content
from tests.auth.helpers import sign_up
from tests.content.catalog_support import caller_of, create_org, dataset_row, join
from tests.content.test_api_keys import new_key
from tests.content.test_datasets import DATASETS, create, make_admin

WHO = (
    "anonymous",
    "other_user",
    "team_member",
    "owner",
    "admin",
    "key_allowlisted",
    "key_not_allowlisted",
)
VISIBILITIES = ("public", "private", "premium")
ACTIONS = ("read_listing", "read_content", "edit", "delete")

# (who, visibility) -> (listed, content readable, PATCH status, DELETE status)
EXPECTED: dict[tuple[str, str], tuple[bool, bool, int, int]] = {
    ("anonymous", "public"): (True, True, 401, 401),
    ("anonymous", "private"): (False, False, 401, 401),
    ("anonymous", "premium"): (True, False, 401, 401),
    ("other_user", "public"): (True, True, 403, 403),
    ("other_user", "private"): (False, False, 404, 404),
    ("other_user", "premium"): (True, False, 403, 403),
    ("team_member", "public"): (True, True, 403, 403),
    ("team_member", "private"): (True, True, 403, 403),
    ("team_member", "premium"): (True, True, 403, 403),
    ("owner", "public"): (True, True, 200, 204),
    ("owner", "private"): (True, True, 200, 204),
    ("owner", "premium"): (True, True, 200, 204),
    ("admin", "public"): (True, True, 200, 204),
    ("admin", "private"): (True, True, 200, 204),
    ("admin", "premium"): (True, True, 200, 204),
    ("key_allowlisted", "public"): (True, True, 200, 204),
    ("key_allowlisted", "private"): (True, True, 200, 204),
    ("key_allowlisted", "premium"): (True, True, 200, 204),
    ("key_not_allowlisted", "public"): (False, False, 404, 404),
    ("key_not_allowlisted", "private"): (False, False, 404, 404),
    ("key_not_allowlisted", "premium"): (False, False, 404, 404),
}


def _answer(who: str, visibility: str, action: str) -> bool | int:
    return EXPECTED[(who, visibility)][ACTIONS.index(action)]


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize("who", WHO)
async def test_access_matrix(
    auth_client: httpx.AsyncClient,
    content_client: httpx.AsyncClient,
    auth_app: FastAPI,
    content_app: FastAPI,
    who: str,
    visibility: str,
    action: str,
) -> None:
    admin = await make_admin(auth_app, auth_client) if who == "admin" else None
    owner = await sign_up(auth_client, name="Team Owner")
    team = await create_org(auth_client, owner)
    pricing: dict[str, Any] = (
        {"pricing_model": "subscription", "price_monthly_cents": 900}
        if visibility == "premium"
        else {}
    )
    dataset = await create(
        content_client, owner, "Matrix Set", team_id=team["id"], visibility=visibility, **pricing
    )
    other = await create(content_client, owner, "Elsewhere", team_id=team["id"])

    headers: dict[str, str] = {}
    key: str | None = None
    person = None
    if who == "other_user":
        person = await sign_up(auth_client)
    elif who == "team_member":
        person = await join(auth_client, owner, team["id"], "member")
    elif who == "owner":
        person = owner
    elif who == "admin":
        person = admin
    elif who.startswith("key_"):
        allowed = dataset["id"] if who == "key_allowlisted" else other["id"]
        made = await new_key(auth_client, owner, scopes=["read", "write"], datasets=[allowed])
        key = made["key"]
        headers = {"X-API-Key": key}
    if person is not None:
        headers = person.bearer

    expected = _answer(who, visibility, action)
    path = f"{DATASETS}/{dataset['id']}"
    if action == "read_listing":
        page = await content_client.get(
            DATASETS, params={"owner": team["id"], "limit": 100}, headers=headers
        )
        assert page.status_code == 200, page.text
        listed = dataset["id"] in [item["id"] for item in page.json()["items"]]
        assert listed is expected
        # the dataset itself (metadata) answers the same way
        read = await content_client.get(path, headers=headers)
        assert read.status_code == (200 if expected else 404)
    elif action == "read_content":
        caller = await caller_of(content_app, person, key)
        row = await dataset_row(content_app, dataset["id"])
        assert await can_read_content(caller, row, content_app.state.auth_client) is expected
    elif action == "edit":
        edited = await content_client.patch(path, json={"name": "Renamed"}, headers=headers)
        assert edited.status_code == expected, edited.text
        name = (await dataset_row(content_app, dataset["id"])).name
        assert name == ("Renamed" if expected == 200 else "Matrix Set")
    else:
        deleted = await content_client.delete(path, headers=headers)
        assert deleted.status_code == expected, deleted.text
        gone = (await dataset_row(content_app, dataset["id"])).deleted_at is not None
        assert gone is (expected == 204)
