"""Sessions as Better Auth keeps them: cookie and bearer forms, expiry, refresh, revocation."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from fltr_auth.sessions.models import Session
from fltr_shared.db import utcnow
from tests.auth.helpers import COOKIE, PASSWORD, sign_in, sign_up

pytestmark = pytest.mark.core


async def session_row(app: FastAPI, token: str) -> Session | None:
    async with app.state.db.transaction() as db:
        return (
            await db.execute(select(Session).where(Session.token == token))
        ).scalar_one_or_none()


async def get_session(client: httpx.AsyncClient, **kwargs: object) -> httpx.Response:
    response = await client.get("/api/auth/get-session", **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    return response


@pytest.mark.parametrize(
    "form", ["cookie", "secure cookie", "bearer signed", "bearer encoded", "bearer raw"]
)
async def test_get_session_accepts_every_form(auth_client: httpx.AsyncClient, form: str) -> None:
    account = await sign_up(auth_client)
    kwargs: dict[str, object] = {
        "cookie": {"headers": {"Cookie": f"{COOKIE}={account.cookie}"}},
        "secure cookie": {"headers": {"Cookie": f"__Secure-{COOKIE}={account.cookie}"}},
        "bearer signed": {"headers": {"Authorization": f"Bearer {account.signed}"}},
        "bearer encoded": {
            "headers": {"Authorization": f"Bearer {quote(account.signed, safe='')}"}
        },
        "bearer raw": {"headers": {"Authorization": f"Bearer {account.token}"}},
    }[form]
    body = (await get_session(auth_client, **kwargs)).json()
    assert body["user"]["id"] == account.user["id"]
    assert body["session"]["token"] == account.token
    assert body["session"]["userId"] == account.user["id"]


@pytest.mark.parametrize(
    "cookie",
    ["", "garbage", "a.b", "%%%", "x" * 5000, "tok.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="],
)
async def test_malformed_or_forged_cookie_is_no_session(
    auth_client: httpx.AsyncClient, cookie: str
) -> None:
    response = await get_session(auth_client, headers={"Cookie": f"{COOKIE}={cookie}"})
    assert response.json() is None


async def test_tampered_signature_is_no_session(auth_client: httpx.AsyncClient) -> None:
    account = await sign_up(auth_client)
    token, _, sig = account.signed.partition(".")
    forged = f"{token}.{'A' if sig[0] != 'A' else 'B'}{sig[1:]}"
    assert (await get_session(auth_client, headers={"Cookie": f"{COOKIE}={forged}"})).json() is None
    bearer = {"Authorization": f"Bearer {forged}"}
    assert (await get_session(auth_client, headers=bearer)).json() is None


async def test_expired_session_reads_as_none_and_is_deleted(
    auth_client: httpx.AsyncClient, auth_app: FastAPI
) -> None:
    account = await sign_up(auth_client)
    async with auth_app.state.db.transaction() as db:
        row = (await db.execute(select(Session).where(Session.token == account.token))).scalar_one()
        row.expires_at = utcnow() - timedelta(seconds=1)
    assert (await get_session(auth_client, headers=account.cookies)).json() is None
    assert await session_row(auth_app, account.token) is None


async def test_session_is_refreshed_once_a_day_old(
    auth_client: httpx.AsyncClient, auth_app: FastAPI
) -> None:
    account = await sign_up(auth_client)
    fresh = await get_session(auth_client, headers=account.cookies)
    assert "set-cookie" not in fresh.headers  # not due yet
    old_expiry = utcnow() + timedelta(days=5)  # created 2 days ago: refresh is due
    async with auth_app.state.db.transaction() as db:
        row = (await db.execute(select(Session).where(Session.token == account.token))).scalar_one()
        row.expires_at = old_expiry
    refreshed = await get_session(auth_client, headers=account.cookies)
    assert COOKIE in refreshed.headers["set-cookie"]
    row = await session_row(auth_app, account.token)
    assert row is not None
    assert row.expires_at > utcnow() + timedelta(days=6, hours=23)


async def test_sign_out_ends_the_session_and_clears_cookies(
    auth_client: httpx.AsyncClient, auth_app: FastAPI
) -> None:
    account = await sign_up(auth_client)
    response = await auth_client.post(
        "/api/auth/sign-out", headers={**account.cookies, "Origin": "http://frontend.test"}
    )
    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert f"{COOKIE}=" in response.headers["set-cookie"]
    assert "Max-Age=0" in response.headers["set-cookie"]
    assert await session_row(auth_app, account.token) is None
    assert (await get_session(auth_client, headers=account.cookies)).json() is None


async def test_list_and_revoke_sessions(auth_client: httpx.AsyncClient) -> None:
    account = await sign_up(auth_client)
    second = (await sign_in(auth_client, account.email)).json()["token"]
    third = (await sign_in(auth_client, account.email)).json()["token"]
    listed = await auth_client.get("/api/auth/list-sessions", headers=account.bearer)
    assert listed.status_code == 200
    assert {s["token"] for s in listed.json()} == {account.token, second, third}

    revoked = await auth_client.post(
        "/api/auth/revoke-session", json={"token": second}, headers=account.bearer
    )
    assert revoked.json() == {"status": True}
    others = await auth_client.post("/api/auth/revoke-other-sessions", headers=account.bearer)
    assert others.json() == {"status": True}
    remaining = (await auth_client.get("/api/auth/list-sessions", headers=account.bearer)).json()
    assert [s["token"] for s in remaining] == [account.token]
    await auth_client.post("/api/auth/revoke-sessions", headers=account.bearer)
    assert (await get_session(auth_client, headers=account.bearer)).json() is None


async def test_cannot_revoke_another_users_session(auth_client: httpx.AsyncClient) -> None:
    alice = await sign_up(auth_client)
    mallory = await sign_up(auth_client)
    await auth_client.post(
        "/api/auth/revoke-session", json={"token": alice.token}, headers=mallory.bearer
    )
    assert (await get_session(auth_client, headers=alice.bearer)).json() is not None


@pytest.mark.parametrize("path", ["/api/auth/list-sessions", "/api/auth/token"])
async def test_session_endpoints_need_a_session(auth_client: httpx.AsyncClient, path: str) -> None:
    response = await auth_client.get(path)
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


async def test_change_password(auth_client: httpx.AsyncClient) -> None:
    account = await sign_up(auth_client)
    other = (await sign_in(auth_client, account.email)).json()["token"]
    wrong = await auth_client.post(
        "/api/auth/change-password",
        json={"currentPassword": "not it at all", "newPassword": "a brand new password"},
        headers=account.bearer,
    )
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "INVALID_PASSWORD"
    too_short = await auth_client.post(
        "/api/auth/change-password",
        json={"currentPassword": PASSWORD, "newPassword": "short"},
        headers=account.bearer,
    )
    assert too_short.json()["code"] == "PASSWORD_TOO_SHORT"
    assert (await sign_in(auth_client, account.email)).status_code == 200

    changed = await auth_client.post(
        "/api/auth/change-password",
        json={
            "currentPassword": PASSWORD,
            "newPassword": "a brand new password",
            "revokeOtherSessions": True,
        },
        headers=account.bearer,
    )
    assert changed.status_code == 200, changed.text
    assert "set-cookie" in changed.headers  # the new session's cookie
    auth_client.cookies.clear()
    new_token = changed.json()["token"]
    assert new_token
    assert changed.json()["user"]["id"] == account.user["id"]
    for token in (account.token, other):
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await get_session(auth_client, headers=bearer)).json() is None
    assert (await sign_in(auth_client, account.email)).status_code == 401
    assert (await sign_in(auth_client, account.email, "a brand new password")).status_code == 200


async def test_update_user(auth_client: httpx.AsyncClient) -> None:
    account = await sign_up(auth_client)
    response = await auth_client.post(
        "/api/auth/update-user", json={"name": "Grace Hopper"}, headers=account.bearer
    )
    assert response.json() == {"status": True}
    body = (await get_session(auth_client, headers=account.bearer)).json()
    assert body["user"]["name"] == "Grace Hopper"
