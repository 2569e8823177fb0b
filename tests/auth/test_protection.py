"""Rate limits on sign-in and sign-up, and the origin check on cookie-authenticated changes."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from fltr_auth.app import create_app
from fltr_auth.settings import AuthSettings
from tests.auth.helpers import PASSWORD, sign_up, unique_email
from tests.support import REDIS_URL

pytestmark = pytest.mark.core


@pytest.fixture(params=["memory", "redis"])
async def strict_client(
    request: pytest.FixtureRequest, auth_settings: AuthSettings, auth_app: FastAPI
) -> AsyncIterator[httpx.AsyncClient]:
    redis_url = REDIS_URL if request.param == "redis" else None
    app = create_app(
        auth_settings.model_copy(update={"sign_in_rate_limit": "3/minute", "redis_url": redis_url})
    )
    async with app.router.lifespan_context(app):
        app.state.db = auth_app.state.db  # share the test's rolled-back transaction
        # an address no other run uses, since Redis keeps counts between runs
        ip = f"198.51.{secrets.randbelow(256)}.{secrets.randbelow(256)}"
        transport = httpx.ASGITransport(app=app, client=(ip, 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://auth.test") as client:
            yield client


async def test_sign_in_is_limited_per_ip_with_retry_after(
    auth_client: httpx.AsyncClient, strict_client: httpx.AsyncClient
) -> None:
    statuses = []
    for _ in range(4):
        response = await strict_client.post(
            "/api/auth/sign-in/email", json={"email": unique_email(), "password": PASSWORD}
        )
        statuses.append(response.status_code)
    assert statuses == [401, 401, 401, 429]
    assert response.json()["error"] == "rate_limited"
    assert 0 < int(response.headers["retry-after"]) <= 60
    assert response.headers["ratelimit-limit"] == "3"


async def test_sign_in_is_limited_per_email(
    auth_client: httpx.AsyncClient, auth_settings: AuthSettings, auth_app: FastAPI
) -> None:
    app = create_app(auth_settings.model_copy(update={"sign_in_rate_limit": "2/minute"}))
    async with app.router.lifespan_context(app):
        app.state.db = auth_app.state.db
        email = unique_email()
        statuses = []
        for ip in [f"203.0.{secrets.randbelow(256)}.{n}" for n in range(3)]:
            transport = httpx.ASGITransport(app=app, client=(ip, 1))
            async with httpx.AsyncClient(transport=transport, base_url="http://a") as client:
                response = await client.post(
                    "/api/auth/sign-in/email", json={"email": email, "password": "x" * 10}
                )
                statuses.append(response.status_code)
    assert statuses == [401, 401, 429]


async def test_cookie_changes_need_a_trusted_origin(auth_client: httpx.AsyncClient) -> None:
    account = await sign_up(auth_client)
    cases = {
        None: 403,
        "https://evil.example": 403,
        "null": 403,
        "http://frontend.test": 200,
        "http://auth.test": 200,
    }
    for origin, status in cases.items():
        headers = {"Origin": origin} if origin else {}
        response = await auth_client.post(
            "/api/auth/update-user", json={"name": "X"}, headers={**headers, **account.cookies}
        )
        assert response.status_code == status, (origin, response.text)
    # bearer-authenticated requests are not exposed to CSRF and need no Origin
    bearer = await auth_client.post(
        "/api/auth/update-user", json={"name": "Y"}, headers=account.bearer
    )
    assert bearer.status_code == 200
