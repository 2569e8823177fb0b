"""The auth service's directory for the catalog: team roles and public profiles, behind the
service credential, never exposing emails or roles."""

from __future__ import annotations

import httpx
import pytest

from tests.auth.helpers import sign_up
from tests.auth.test_teams import create_org, join
from tests.support import TEST_SERVICE_TOKEN

pytestmark = pytest.mark.core

SERVICE = {"Authorization": f"Bearer {TEST_SERVICE_TOKEN}"}


async def test_roles_and_profiles(auth_client: httpx.AsyncClient) -> None:
    owner = await sign_up(auth_client, name="Org Owner")
    team = await create_org(auth_client, owner)
    member = await join(auth_client, owner, team["id"], "member")
    stranger = await sign_up(auth_client)

    base = f"/internal/v1/teams/{team['id']}/members"
    owned = await auth_client.get(f"{base}/{owner.user['id']}", headers=SERVICE)
    assert owned.json() == {"member": True, "role": "owner"}
    joined = await auth_client.get(f"{base}/{member.user['id']}", headers=SERVICE)
    assert joined.json() == {"member": True, "role": "member"}
    outside = await auth_client.get(f"{base}/{stranger.user['id']}", headers=SERVICE)
    assert outside.json() == {"member": False, "role": None}
    teams = await auth_client.get(f"/internal/v1/users/{member.user['id']}/teams", headers=SERVICE)
    assert teams.json() == {"teams": [{"team_id": team["id"], "role": "member"}]}

    profiles = await auth_client.post(
        "/internal/v1/profiles",
        json={"user_ids": [owner.user["id"], "nobody"], "team_ids": [team["id"]]},
        headers=SERVICE,
    )
    assert profiles.status_code == 200
    body = profiles.json()
    assert body["users"] == [
        {
            "id": owner.user["id"],
            "type": "user",
            "name": "Org Owner",
            "username": None,
            "image": None,
        }
    ]
    assert [(t["id"], t["type"], t["username"]) for t in body["teams"]] == [
        (team["id"], "team", team["slug"])
    ]
    assert owner.email not in profiles.text


async def test_the_service_credential_is_required(auth_client: httpx.AsyncClient) -> None:
    owner = await sign_up(auth_client)
    for method, path in (
        ("GET", "/internal/v1/teams/t/members/u"),
        ("GET", "/internal/v1/users/u/teams"),
        ("POST", "/internal/v1/profiles"),
    ):
        for headers in ({}, owner.bearer):
            response = await auth_client.request(method, path, json={}, headers=headers)
            assert response.status_code == 401, (path, response.text)
    too_many = await auth_client.post(
        "/internal/v1/profiles", json={"user_ids": ["x"] * 201}, headers=SERVICE
    )
    assert too_many.status_code == 422
