"""Auth service: health, the internal ping behind the service credential, metrics."""

from __future__ import annotations

import httpx
import pytest

from tests.support import TEST_SERVICE_TOKEN

pytestmark = pytest.mark.core


async def test_health_reports_database_connected(auth_client: httpx.AsyncClient) -> None:
    response = await auth_client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "healthy", "services": {"database": "connected"}}


async def test_internal_ping_needs_the_service_token(auth_client: httpx.AsyncClient) -> None:
    missing = await auth_client.get("/internal/v1/ping")
    assert missing.status_code == 401
    assert missing.json()["error"] == "invalid_service_token"
    wrong = await auth_client.get(
        "/internal/v1/ping", headers={"Authorization": f"Bearer {TEST_SERVICE_TOKEN}x"}
    )
    assert wrong.status_code == 401
    wrong_scheme = await auth_client.get(
        "/internal/v1/ping", headers={"Authorization": f"Basic {TEST_SERVICE_TOKEN}"}
    )
    assert wrong_scheme.status_code == 401
    ok = await auth_client.get(
        "/internal/v1/ping", headers={"Authorization": f"Bearer {TEST_SERVICE_TOKEN}"}
    )
    assert ok.status_code == 200
    assert ok.json() == {"service": "auth", "status": "ok"}


async def test_metrics_count_requests_by_route(auth_client: httpx.AsyncClient) -> None:
    await auth_client.get("/health")
    await auth_client.get("/internal/v1/ping")
    response = await auth_client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'route="/health",service="auth",status="200"' in text
    assert 'route="/internal/v1/ping",service="auth",status="401"' in text


async def test_openapi_lists_the_endpoints(auth_client: httpx.AsyncClient) -> None:
    paths = (await auth_client.get("/openapi.json")).json()["paths"]
    assert "/health" in paths
    assert "/internal/v1/ping" in paths
    assert "/metrics" not in paths


async def test_liveness_and_readiness_are_separate(auth_client: httpx.AsyncClient) -> None:
    live = await auth_client.get("/health/live")
    assert live.status_code == 200
    assert live.json() == {"status": "alive"}
    ready = await auth_client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "healthy", "services": {"database": "connected"}}
    paths = (await auth_client.get("/openapi.json")).json()["paths"]
    assert {"/health", "/health/live", "/health/ready"} <= set(paths)
