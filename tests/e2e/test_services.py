"""Both services as real processes talking over real HTTP, and ``make run`` itself."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support import (
    REPO_ROOT,
    ServiceProcess,
    clean_env,
    free_port,
    wait_for_http,
)

pytestmark = pytest.mark.e2e


def test_content_reaches_auth_over_http_then_degrades_when_it_stops(
    stack: tuple[ServiceProcess, str, str],
) -> None:
    auth, auth_url, content_url = stack
    assert httpx.get(f"{auth_url}/health").json() == {
        "status": "healthy",
        "services": {"database": "connected"},
    }
    healthy = httpx.get(f"{content_url}/health")
    assert healthy.status_code == 200, healthy.text
    assert healthy.json() == {
        "status": "healthy",
        "services": {"database": "connected", "milvus": "connected", "auth_service": "connected"},
    }

    # uvicorn shuts down gracefully, then re-raises the signal it caught
    assert auth.stop(signal.SIGTERM) in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in auth.log()
    start = time.monotonic()
    degraded = httpx.get(f"{content_url}/health", timeout=10)
    elapsed = time.monotonic() - start
    assert degraded.status_code == 503
    assert degraded.json()["status"] == "degraded"
    assert degraded.json()["services"]["auth_service"] == "disconnected"
    assert degraded.json()["services"]["database"] == "connected"
    assert elapsed < 3, f"/health took {elapsed:.2f}s with the auth service down"

    auth.start()
    wait_for_http(f"{auth_url}/health", proc=auth)
    assert httpx.get(f"{content_url}/health").status_code == 200


def test_error_shapes_over_real_http(stack: tuple[ServiceProcess, str, str]) -> None:
    _, auth_url, content_url = stack
    for base in (auth_url, content_url):
        missing = httpx.get(f"{base}/nope")
        assert missing.status_code == 404
        assert missing.json()["error"] == "not_found"
        assert missing.headers["x-request-id"] == missing.json()["request_id"]
        wrong_method = httpx.delete(f"{base}/health")
        assert wrong_method.status_code == 405
        assert "Traceback" not in missing.text + wrong_method.text
    echoed = httpx.get(f"{content_url}/health", headers={"X-Request-ID": "e2e-trace-1"})
    assert echoed.headers["x-request-id"] == "e2e-trace-1"


def test_make_run_serves_the_embedded_default(tmp_path: Path) -> None:
    """``make run``'s script with no configuration but ports: SQLite + Milvus Lite in VAR_DIR."""
    var_dir = tmp_path / "var"
    auth_port, content_port = free_port(), free_port()
    env = clean_env(
        VAR_DIR=str(var_dir), FLTR_AUTH_PORT=str(auth_port), FLTR_CONTENT_PORT=str(content_port)
    )
    with (tmp_path / "run.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, str(REPO_ROOT / "scripts" / "dev.py")],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        start = time.monotonic()
        # both services import, migrate and start from nothing: ~10 s of CPU each on a quiet
        # machine, far more when the suite's other processes share the two cores
        deadline = start + 90
        auth_ok = content_ok = False
        while time.monotonic() < deadline and not (auth_ok and content_ok):
            assert proc.poll() is None, (tmp_path / "run.log").read_text()[-3000:]
            try:
                auth_ok = httpx.get(f"http://127.0.0.1:{auth_port}/health").status_code == 200
                content = httpx.get(f"http://127.0.0.1:{content_port}/health")
                content_ok = content.status_code == 200
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        assert auth_ok, (tmp_path / "run.log").read_text()[-3000:]
        assert content_ok, (tmp_path / "run.log").read_text()[-3000:]
        assert content.json()["services"]["auth_service"] == "connected"
        assert {p.name for p in var_dir.iterdir()} >= {
            "fltr_auth.db",
            "fltr.db",
            "milvus.db",
            "internal-service-token",
        }
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = (tmp_path / "run.log").read_text()
    assert f"http://127.0.0.1:{auth_port}" in output
    assert f"http://127.0.0.1:{content_port}" in output
    assert "FLTR stopped." in output
    for port in (auth_port, content_port):
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
