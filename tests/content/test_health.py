"""Content service health: database, Milvus and the auth service (over real HTTP)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from fltr_content.app import create_app
from fltr_content.settings import ContentSettings
from tests.support import free_port, silent_socket_server

pytestmark = pytest.mark.core


@asynccontextmanager
async def content_with(
    settings: ContentSettings, tmp_path: Path, **changes: object
) -> AsyncIterator[httpx.AsyncClient]:
    """A second content app, with its own Milvus Lite file, for one changed setting."""
    changes.setdefault("milvus_uri", str(tmp_path / "milvus.db"))
    app = create_app(settings.model_copy(update=changes))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as client,
    ):
        yield client


async def test_health_all_connected(content_client: httpx.AsyncClient) -> None:
    response = await content_client.get("/health")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "healthy",
        "services": {"database": "connected", "milvus": "connected", "auth_service": "connected"},
    }


async def test_auth_service_down_is_degraded_quickly(
    content_settings: ContentSettings, tmp_path: Path
) -> None:
    async with content_with(
        content_settings, tmp_path, auth_service_url=f"http://127.0.0.1:{free_port()}"
    ) as client:
        start = time.monotonic()
        response = await client.get("/health")
        elapsed = time.monotonic() - start
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["services"]["auth_service"] == "disconnected"
    assert body["services"]["database"] == "connected"
    assert elapsed < 3


async def test_auth_service_that_never_answers_times_out(
    content_settings: ContentSettings, tmp_path: Path
) -> None:
    with silent_socket_server() as url:
        async with content_with(
            content_settings, tmp_path, auth_service_url=url, health_timeout_seconds=0.5
        ) as client:
            start = time.monotonic()
            response = await client.get("/health")
            elapsed = time.monotonic() - start
    assert response.status_code == 503
    assert response.json()["services"]["auth_service"] == "timeout"
    assert elapsed < 3


async def test_milvus_down_is_degraded(content_settings: ContentSettings, tmp_path: Path) -> None:
    async with content_with(
        content_settings, tmp_path, milvus_uri=f"http://127.0.0.1:{free_port()}"
    ) as client:
        response = await client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["services"]["milvus"] == "disconnected"
    assert body["services"]["auth_service"] == "connected"


async def test_wrong_service_token_is_not_connected(
    content_settings: ContentSettings, tmp_path: Path
) -> None:
    async with content_with(
        content_settings, tmp_path, internal_service_token=SecretStr("not-the-token" * 4)
    ) as client:
        response = await client.get("/health")
    assert response.status_code == 503
    assert response.json()["services"]["auth_service"] == "disconnected"


async def test_readiness_fails_but_liveness_holds_when_a_dependency_is_down(
    content_settings: ContentSettings, tmp_path: Path
) -> None:
    async with content_with(
        content_settings, tmp_path, auth_service_url=f"http://127.0.0.1:{free_port()}"
    ) as client:
        live = await client.get("/health/live")
        ready = await client.get("/health/ready")
    # a restart would not bring the auth service back: liveness stays 200
    assert live.status_code == 200
    assert live.json() == {"status": "alive"}
    assert ready.status_code == 503
    assert ready.json()["services"]["auth_service"] == "disconnected"


async def test_readiness_when_all_connected(content_client: httpx.AsyncClient) -> None:
    ready = await content_client.get("/health/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "healthy"
    assert (await content_client.get("/health/live")).json() == {"status": "alive"}
