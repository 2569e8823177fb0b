"""``/internal/v1/sessions/validate``: what the content service asks the auth service."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from fltr_auth.sessions.models import Session
from fltr_auth.users.models import User
from fltr_shared.db import utcnow
from tests.auth.helpers import sign_up
from tests.support import TEST_SERVICE_TOKEN

pytestmark = pytest.mark.core
SERVICE = {"Authorization": f"Bearer {TEST_SERVICE_TOKEN}"}


async def validate(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post(
        "/internal/v1/sessions/validate", json={"token": token}, headers=SERVICE
    )


async def test_needs_the_service_credential(auth_client: httpx.AsyncClient) -> None:
    account = await sign_up(auth_client)
    response = await auth_client.post(
        "/internal/v1/sessions/validate", json={"token": account.signed}
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_service_token"


@pytest.mark.parametrize("form", ["cookie value", "signed", "raw", "bearer header", "jwt"])
async def test_resolves_every_credential(auth_client: httpx.AsyncClient, form: str) -> None:
    account = await sign_up(auth_client)
    jwt = (await auth_client.get("/api/auth/token", headers=account.bearer)).json()["token"]
    value = {
        "cookie value": account.cookie,
        "signed": account.signed,
        "raw": account.token,
        "bearer header": f"Bearer {account.signed}",
        "jwt": jwt,
    }[form]
    response = await validate(auth_client, value)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["id"] == account.user["id"]
    assert body["user"]["role"] == "developer"
    assert body["credential"] == ("jwt" if form == "jwt" else "session")
    assert (body["session"] is None) == (form == "jwt")


@pytest.mark.parametrize("value", ["nope", "eyJhbGciOiJFZERTQSJ9.e30.c2ln", "a" * 40, "x.y"])
async def test_invalid_credentials_are_401(auth_client: httpx.AsyncClient, value: str) -> None:
    response = await validate(auth_client, value)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_session"


async def test_empty_or_huge_token_is_422(auth_client: httpx.AsyncClient) -> None:
    assert (await validate(auth_client, "")).status_code == 422
    assert (await validate(auth_client, "x" * 5000)).status_code == 422


async def test_expired_session_is_401_and_deleted(
    auth_client: httpx.AsyncClient, auth_app: FastAPI
) -> None:
    account = await sign_up(auth_client)
    async with auth_app.state.db.transaction() as db:
        row = (await db.execute(select(Session).where(Session.token == account.token))).scalar_one()
        row.expires_at = utcnow() - timedelta(minutes=1)
    assert (await validate(auth_client, account.signed)).status_code == 401
    async with auth_app.state.db.transaction() as db:
        gone = (await db.execute(select(Session).where(Session.token == account.token))).first()
    assert gone is None


async def test_banned_user_is_401_for_sessions_and_jwts(
    auth_client: httpx.AsyncClient, auth_app: FastAPI
) -> None:
    account = await sign_up(auth_client)
    jwt = (await auth_client.get("/api/auth/token", headers=account.bearer)).json()["token"]
    async with auth_app.state.db.transaction() as db:
        user = await db.get(User, account.user["id"])
        assert user is not None
        user.banned = True
    assert (await validate(auth_client, account.signed)).status_code == 401
    assert (await validate(auth_client, jwt)).status_code == 401
    signed_in = await auth_client.post(
        "/api/auth/sign-in/email",
        json={"email": account.email, "password": "correct horse battery staple"},
    )
    assert signed_in.status_code == 403
    assert signed_in.json()["code"] == "BANNED_USER"
