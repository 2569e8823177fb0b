"""``/internal/v1/entitlements/check``: who may use a dataset, by visibility and pricing.

Until billing adds subscriptions and purchases: public + free is open to everyone; private
and paid datasets to their owner, the owning team's members and site admins; a key acts as
its owner, within its dataset allowlist.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.auth.helpers import SignedUp, sign_up
from tests.auth.test_api_keys import SERVICE, created, make_team, set_role

pytestmark = pytest.mark.core

CHECK = "/internal/v1/entitlements/check"


async def check(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await client.post(CHECK, json=body, headers=SERVICE)


async def decision(client: httpx.AsyncClient, **body: Any) -> tuple[bool, str]:
    response = await check(client, **body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer) == {"allowed", "reason"}
    return answer["allowed"], answer["reason"]


class World:
    """A dataset owner, a team (owner + member), an outsider and a site admin."""

    def __init__(
        self,
        owner: SignedUp,
        team_id: str,
        team_owner: SignedUp,
        team_member: SignedUp,
        outsider: SignedUp,
        admin: SignedUp,
    ) -> None:
        self.owner = owner
        self.team_id = team_id
        self.team_owner = team_owner
        self.team_member = team_member
        self.outsider = outsider
        self.admin = admin


@pytest.fixture
async def world(auth_client: httpx.AsyncClient, auth_app: FastAPI) -> World:
    owner = await sign_up(auth_client)
    team_owner = await sign_up(auth_client)
    team_id, (team_member,) = await make_team(auth_client, team_owner, "member")
    outsider = await sign_up(auth_client)
    admin = await sign_up(auth_client)
    await set_role(auth_app, admin.user["id"], "admin")
    return World(owner, team_id, team_owner, team_member, outsider, admin)


def dataset(owner_id: str, visibility: str, pricing: str, **extra: Any) -> dict[str, Any]:
    return {
        "dataset_id": "ds-1",
        "owner_id": owner_id,
        "visibility": visibility,
        "pricing_model": pricing,
        **extra,
    }


KINDS = {
    "public-free": ("public", "free"),
    "private": ("private", "free"),
    "premium": ("premium", "subscription"),
    "public-one-time": ("public", "one_time"),
}

# who -> kind -> expected (allowed, reason), for a dataset owned by the user "owner"
USER_OWNED = {
    "owner": {k: (True, "public" if k == "public-free" else "owner") for k in KINDS},
    "outsider": {
        "public-free": (True, "public"),
        "private": (False, "private"),
        "premium": (False, "premium"),
        "public-one-time": (False, "premium"),
    },
    "admin": {k: (True, "public" if k == "public-free" else "admin") for k in KINDS},
}


@pytest.mark.parametrize("who", list(USER_OWNED))
async def test_user_owned_dataset_matrix(
    auth_client: httpx.AsyncClient, world: World, who: str
) -> None:
    principal = {"owner": world.owner, "outsider": world.outsider, "admin": world.admin}[who]
    for kind, (visibility, pricing) in KINDS.items():
        got = await decision(
            auth_client,
            user_id=principal.user["id"],
            **dataset(world.owner.user["id"], visibility, pricing),
        )
        assert got == USER_OWNED[who][kind], (who, kind)


@pytest.mark.parametrize("kind", ["private", "premium"])
async def test_team_owned_dataset(auth_client: httpx.AsyncClient, world: World, kind: str) -> None:
    visibility, pricing = KINDS[kind]
    body = dataset(world.team_id, visibility, pricing, owner_type="team")
    for member in (world.team_owner, world.team_member):
        assert await decision(auth_client, user_id=member.user["id"], **body) == (
            True,
            "team_member",
        )
    assert await decision(auth_client, user_id=world.outsider.user["id"], **body) == (
        False,
        kind,
    )
    assert await decision(auth_client, user_id=world.admin.user["id"], **body) == (True, "admin")
    # a team's own key acts as the team; a member's personal key acts as the member
    team_key = await created(auth_client, world.team_owner, organization_id=world.team_id)
    member_key = await created(auth_client, world.team_member)
    outsider_key = await created(auth_client, world.outsider)
    for key in (team_key, member_key):
        assert await decision(auth_client, api_key_id=key["id"], **body) == (True, "team_member")
    assert await decision(auth_client, api_key_id=outsider_key["id"], **body) == (False, kind)
    # a team id is not a user id: "owner_type" matters
    as_user = dataset(world.team_id, visibility, pricing)
    assert await decision(auth_client, user_id=world.team_member.user["id"], **as_user) == (
        False,
        kind,
    )


async def test_keys_act_as_their_owner_within_their_allowlist(
    auth_client: httpx.AsyncClient, world: World
) -> None:
    mine = dataset(world.owner.user["id"], "private", "free", dataset_slug="my-notes")
    public = dataset(world.outsider.user["id"], "public", "free", dataset_slug="open-data")
    anything = await created(auth_client, world.owner)
    assert await decision(auth_client, api_key_id=anything["id"], **mine) == (True, "owner")
    assert await decision(auth_client, api_key_id=anything["id"], **public) == (True, "public")

    by_id = await created(auth_client, world.owner, datasets=["ds-1"])
    assert await decision(auth_client, api_key_id=by_id["id"], **mine) == (True, "owner")
    by_slug = await created(auth_client, world.owner, datasets=["my-notes"])
    assert await decision(auth_client, api_key_id=by_slug["id"], **mine) == (True, "owner")
    elsewhere = await created(auth_client, world.owner, datasets=["other", "open-datax"])
    for body in (mine, public):  # even a public dataset is outside the allowlist
        assert await decision(auth_client, api_key_id=elsewhere["id"], **body) == (
            False,
            "not_in_allowlist",
        )


async def test_admin_rights_through_a_key_need_the_admin_scope(
    auth_client: httpx.AsyncClient, world: World
) -> None:
    body = dataset(world.owner.user["id"], "premium", "subscription")
    plain = await created(auth_client, world.admin, scopes=["read", "write"])
    assert await decision(auth_client, api_key_id=plain["id"], **body) == (False, "premium")
    scoped = await created(auth_client, world.admin, scopes=["admin"])
    assert await decision(auth_client, api_key_id=scoped["id"], **body) == (True, "admin")


async def test_unusable_keys_and_users_are_refused(
    auth_client: httpx.AsyncClient, world: World
) -> None:
    body = dataset(world.owner.user["id"], "public", "free")
    key = await created(auth_client, world.owner)
    await auth_client.delete(f"/api/v1/api-keys/{key['id']}", headers=world.owner.bearer)
    assert await decision(auth_client, api_key_id=key["id"], **body) == (False, "invalid_api_key")
    assert await decision(auth_client, api_key_id="nope", **body) == (False, "invalid_api_key")
    assert await decision(auth_client, user_id="nobody", **body) == (False, "unknown_user")
    banned = await auth_client.post(
        "/api/auth/admin/ban-user",
        json={"userId": world.outsider.user["id"]},
        headers=world.admin.bearer,
    )
    assert banned.status_code == 200
    assert await decision(auth_client, user_id=world.outsider.user["id"], **body) == (
        False,
        "unknown_user",
    )


@pytest.mark.parametrize(
    "body",
    [
        {},  # neither user nor key
        {"user_id": "u", "api_key_id": "k"},  # both
        {"user_id": "u", "visibility": "secret"},
        {"user_id": "u", "pricing_model": "paid"},
        {"user_id": "u", "owner_type": "org"},
        {"user_id": "u", "dataset_id": ""},
        {"user_id": "u", "extra": 1},
    ],
)
async def test_bad_requests_are_422(auth_client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    response = await check(auth_client, **{**dataset("o", "public", "free"), **body})
    assert response.status_code == 422, response.text


async def test_needs_the_service_credential(auth_client: httpx.AsyncClient) -> None:
    response = await auth_client.post(
        CHECK, json={"user_id": "u", **dataset("o", "public", "free")}
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_service_token"
