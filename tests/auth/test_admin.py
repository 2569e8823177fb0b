"""Admins: list users, change roles, mark verified, ban (sessions end at once) and unban."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from fltr_auth.users.models import User
from tests.auth.helpers import SignedUp, sign_in, sign_up

pytestmark = pytest.mark.core


async def make_admin(app: FastAPI, client: httpx.AsyncClient) -> SignedUp:
    account = await sign_up(client, name="Admin")
    async with app.state.db.transaction() as db:
        user = await db.get(User, account.user["id"])
        assert user is not None
        user.role = "admin"
    return account


async def test_non_admins_are_refused(auth_client: httpx.AsyncClient) -> None:
    user = await sign_up(auth_client)
    response = await auth_client.get("/api/auth/admin/list-users", headers=user.bearer)
    assert response.status_code == 403
    anonymous = await auth_client.post("/api/auth/admin/ban-user", json={"userId": user.user["id"]})
    assert anonymous.status_code == 401


async def test_admin_lists_and_changes_users(
    auth_client: httpx.AsyncClient, auth_app: FastAPI
) -> None:
    admin = await make_admin(auth_app, auth_client)
    user = await sign_up(auth_client, name="Zed Unique")
    listed = await auth_client.get(
        "/api/auth/admin/list-users",
        params={"searchValue": "zed unique", "limit": 5},
        headers=admin.bearer,
    )
    assert listed.status_code == 200
    body = listed.json()
    assert [u["id"] for u in body["users"]] == [user.user["id"]]
    assert body["total"] == 1
    too_many = await auth_client.get(
        "/api/auth/admin/list-users", params={"limit": 1000}, headers=admin.bearer
    )
    assert too_many.status_code == 422

    role = await auth_client.post(
        "/api/auth/admin/set-role",
        json={"userId": user.user["id"], "role": "curator"},
        headers=admin.bearer,
    )
    assert role.json()["user"]["role"] == "curator"
    bad_role = await auth_client.post(
        "/api/auth/admin/set-role",
        json={"userId": user.user["id"], "role": "emperor"},
        headers=admin.bearer,
    )
    assert bad_role.status_code == 422
    verified = await auth_client.post(
        "/api/auth/admin/update-user",
        json={"userId": user.user["id"], "data": {"emailVerified": True}},
        headers=admin.bearer,
    )
    assert verified.json()["user"]["emailVerified"] is True
    missing = await auth_client.post(
        "/api/auth/admin/set-role", json={"userId": "nobody", "role": "admin"}, headers=admin.bearer
    )
    assert missing.status_code == 404


async def test_ban_ends_sessions_at_once_and_unban_restores_sign_in(
    auth_client: httpx.AsyncClient, auth_app: FastAPI
) -> None:
    admin = await make_admin(auth_app, auth_client)
    user = await sign_up(auth_client)
    banned = await auth_client.post(
        "/api/auth/admin/ban-user",
        json={"userId": user.user["id"], "banReason": "spam"},
        headers=admin.bearer,
    )
    assert banned.status_code == 200
    assert banned.json()["user"]["banned"] is True
    assert banned.json()["user"]["banReason"] == "spam"
    session = await auth_client.get("/api/auth/get-session", headers=user.bearer)
    assert session.json() is None
    refused = await sign_in(auth_client, user.email)
    assert refused.status_code == 403
    assert refused.json()["code"] == "BANNED_USER"
    self_ban = await auth_client.post(
        "/api/auth/admin/ban-user", json={"userId": admin.user["id"]}, headers=admin.bearer
    )
    assert self_ban.status_code == 400

    await auth_client.post(
        "/api/auth/admin/unban-user", json={"userId": user.user["id"]}, headers=admin.bearer
    )
    assert (await sign_in(auth_client, user.email)).status_code == 200
