"""The content service resolves callers through the auth service, over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from fltr_content.app import create_app
from fltr_content.settings import ContentSettings
from tests.auth.helpers import COOKIE, sign_up

pytestmark = pytest.mark.core


def validate_calls(auth_app: FastAPI) -> float:
    metrics = auth_app.state.metrics
    value = metrics.registry.get_sample_value(
        "fltr_http_requests_total",
        {
            "service": "auth",
            "method": "POST",
            "route": "/internal/v1/sessions/validate",
            "status": "200",
        },
    )
    return value or 0.0


@pytest.mark.parametrize("form", ["cookie", "bearer", "jwt"])
async def test_me_resolves_each_credential(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, form: str
) -> None:
    account = await sign_up(auth_client)
    jwt = (await auth_client.get("/api/auth/token", headers=account.bearer)).json()["token"]
    kwargs: dict[str, object] = {
        "cookie": {"headers": {"Cookie": f"{COOKIE}={account.cookie}"}},
        "bearer": {"headers": account.bearer},
        "jwt": {"headers": {"Authorization": f"Bearer {jwt}"}},
    }[form]
    response = await content_client.get("/api/v1/me", **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user_id"] == account.user["id"]
    assert body["email"] == account.email
    assert body["credential"] == ("jwt" if form == "jwt" else "session")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Bearer eyJ.bad.jwt"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
)
async def test_me_without_a_valid_credential_is_401(
    content_client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await content_client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_session_answers_are_cached_briefly(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, auth_app: FastAPI
) -> None:
    account = await sign_up(auth_client)
    before = validate_calls(auth_app)
    for _ in range(5):
        assert (await content_client.get("/api/v1/me", headers=account.bearer)).status_code == 200
    assert validate_calls(auth_app) - before == 1


@pytest.fixture
async def uncached_content(
    content_settings: ContentSettings, content_app: FastAPI, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        content_settings.model_copy(
            update={"session_cache_seconds": 0, "milvus_uri": str(tmp_path / "m.db")}
        )
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as client,
    ):
        yield client


async def test_revoked_session_stops_working_without_cache(
    auth_client: httpx.AsyncClient, uncached_content: httpx.AsyncClient
) -> None:
    account = await sign_up(auth_client)
    assert (await uncached_content.get("/api/v1/me", headers=account.bearer)).status_code == 200
    await auth_client.post("/api/auth/sign-out", headers=account.bearer)
    assert (await uncached_content.get("/api/v1/me", headers=account.bearer)).status_code == 401


async def test_a_refused_service_token_is_an_outage_not_a_sign_out(
    auth_client: httpx.AsyncClient, content_settings: ContentSettings, tmp_path: Path
) -> None:
    """With the wrong INTERNAL_SERVICE_TOKEN (a rotation half done) the auth service refuses
    the content service itself: callers get 503, not a 401 that would sign them out."""
    from pydantic import SecretStr

    account = await sign_up(auth_client)
    settings = content_settings.model_copy(
        update={
            "internal_service_token": SecretStr("not-the-token-" + "x" * 32),
            "var_dir": tmp_path,
            "milvus_uri": str(tmp_path / "m.db"),
        }
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c.test") as c,
    ):
        response = await c.get("/api/v1/me", headers=account.bearer)
        key = await c.get("/api/v1/me", headers={"Authorization": "Bearer fltr_" + "a" * 40})
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "upstream_unavailable"
    assert key.status_code == 503
