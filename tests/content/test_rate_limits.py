"""Rate limits in the content service: per API key (its own limit) and per user (sessions and
JWTs), in memory or on Redis; 429 with ``Retry-After``; ``RateLimit-*`` headers on every
authenticated answer; and a Redis that is down lets requests through (logged)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from fltr_content.app import create_app
from fltr_content.settings import ContentSettings
from tests.auth.helpers import sign_up
from tests.content.test_api_keys import new_key
from tests.support import REDIS_URL, free_port

pytestmark = pytest.mark.core

ME = "/api/v1/me"


@asynccontextmanager
async def content_with(
    settings: ContentSettings, tmp_path: Path, **update: Any
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        settings.model_copy(update={"milvus_uri": str(tmp_path / f"m{free_port()}.db"), **update})
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as client,
    ):
        yield client


def window(response: httpx.Response) -> tuple[int, int, int]:
    headers = response.headers
    return (
        int(headers["ratelimit-limit"]),
        int(headers["ratelimit-remaining"]),
        int(headers["ratelimit-reset"]),
    )


def refused(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["error"] == "rate_limited"
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert window(response)[:2] == (limit, 0)


async def test_headers_on_every_authenticated_answer(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    account = await sign_up(auth_client)
    first = await content_client.get(ME, headers=account.bearer)
    assert first.status_code == 200
    limit, remaining, reset = window(first)
    assert (limit, remaining) == (120, 119)
    assert 0 <= reset <= 60
    second = await content_client.get(ME, headers=account.bearer)
    assert window(second)[1] == 118
    anonymous = await content_client.get(ME)
    assert anonymous.status_code == 401
    assert "ratelimit-limit" not in anonymous.headers


@pytest.mark.parametrize("storage", ["memory", "redis"])
async def test_per_user_limit(
    auth_client: httpx.AsyncClient,
    content_settings: ContentSettings,
    tmp_path: Path,
    storage: str,
) -> None:
    redis_url = REDIS_URL if storage == "redis" else None
    account = await sign_up(auth_client)
    other = await sign_up(auth_client)
    jwt = (await auth_client.get("/api/auth/token", headers=account.bearer)).json()["token"]
    async with content_with(
        content_settings, tmp_path, user_rate_limit_per_minute=3, redis_url=redis_url
    ) as client:
        remaining = []
        for _ in range(3):
            response = await client.get(ME, headers=account.bearer)
            assert response.status_code == 200, response.text
            remaining.append(window(response)[1])
        assert remaining == [2, 1, 0]
        refused(await client.get(ME, headers=account.bearer), 3)
        # per user, whatever the credential
        refused(await client.get(ME, headers={"Authorization": f"Bearer {jwt}"}), 3)
        assert (await client.get(ME, headers=other.bearer)).status_code == 200


@pytest.mark.parametrize("storage", ["memory", "redis"])
async def test_per_key_limit(
    auth_client: httpx.AsyncClient,
    content_settings: ContentSettings,
    tmp_path: Path,
    storage: str,
) -> None:
    redis_url = REDIS_URL if storage == "redis" else None
    account = await sign_up(auth_client)
    slow = await new_key(auth_client, account, rate_limit_per_minute=2)
    fast = await new_key(auth_client, account, rate_limit_per_minute=1000)
    async with content_with(content_settings, tmp_path, redis_url=redis_url) as client:
        for expected in (1, 0):
            response = await client.get(ME, headers={"X-API-Key": slow["key"]})
            assert response.status_code == 200
            assert window(response)[:2] == (2, expected)
        refused(await client.get(ME, headers={"X-API-Key": slow["key"]}), 2)
        # each key has its own window, and so has the user's session
        response = await client.get(ME, headers={"Authorization": f"Bearer {fast['key']}"})
        assert window(response)[:2] == (1000, 999)
        response = await client.get(ME, headers=account.bearer)
        assert window(response)[:2] == (120, 119)


async def test_redis_counts_are_shared_by_every_process(
    auth_client: httpx.AsyncClient, content_settings: ContentSettings, tmp_path: Path
) -> None:
    account = await sign_up(auth_client)
    key = await new_key(auth_client, account, rate_limit_per_minute=3)
    headers = {"X-API-Key": key["key"]}
    async with (
        content_with(content_settings, tmp_path, redis_url=REDIS_URL) as one,
        content_with(content_settings, tmp_path, redis_url=REDIS_URL) as two,
    ):
        assert (await one.get(ME, headers=headers)).status_code == 200
        assert (await two.get(ME, headers=headers)).status_code == 200
        assert window(await one.get(ME, headers=headers))[1] == 0
        refused(await two.get(ME, headers=headers), 3)


async def test_redis_down_fails_open_and_logs(
    auth_client: httpx.AsyncClient,
    content_settings: ContentSettings,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    account = await sign_up(auth_client)
    closed = f"redis://127.0.0.1:{free_port()}/0"
    # The app's configure_logging replaces the root handlers, so listen on the module's logger.
    limiter_logger = logging.getLogger("fltr_content.ratelimits.limiter")
    async with content_with(
        content_settings, tmp_path, user_rate_limit_per_minute=2, redis_url=closed
    ) as client:
        limiter_logger.addHandler(caplog.handler)
        try:
            for _ in range(4):  # twice the limit: nothing is counted, nothing refused
                response = await client.get(ME, headers=account.bearer)
                assert response.status_code == 200, response.text
                assert "ratelimit-limit" not in response.headers
        finally:
            limiter_logger.removeHandler(caplog.handler)
    logged = [r for r in caplog.records if "rate_limit_storage_unavailable" in str(r.msg)]
    assert len(logged) == 1  # once per LOG_EVERY_SECONDS, not once per request
    assert "fail_open" in str(logged[0].msg)


async def test_limit_settings_are_validated(content_settings: ContentSettings) -> None:
    with pytest.raises(ValueError, match="user_rate_limit_per_minute"):
        ContentSettings.model_validate(
            {**content_settings.model_dump(), "user_rate_limit_per_minute": 0}
        )
