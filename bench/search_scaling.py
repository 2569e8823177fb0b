"""Search throughput with two content processes against one, on this machine (issue 10).

The production shape: PostgreSQL for both services, a Milvus Lite server reached by URI,
Redis for rate limits; the content service started with ``serve --workers 1`` and then
``--workers 2`` on the same data. A small httpx load script (32 concurrent clients, an API
key, distinct idempotency keys) runs searches for a fixed time against each and reports
requests per second, p50/p95/p99 latency and errors. The ratio is 2 processes / 1 process.
No target: on 2 cores the load generator, PostgreSQL, Milvus and the auth service share the
cores with the content processes, so this says how much headroom a second process finds here.

Run: ``uv run --frozen python -m bench search_scaling``.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench.corpus import paragraphs
from fltr_auth.migration_spec import AUTH_MIGRATIONS
from fltr_content.migration_spec import CONTENT_MIGRATIONS
from tests.milvus_server import milvus_server, wait_for_port
from tests.support import (
    ServiceProcess,
    clean_env,
    console_script,
    free_port,
    service_database,
    wait_for_http,
)

CLIENTS = 32
SECONDS = 8.0
TOKEN = "bench-service-token-" + "s" * 32
DOCS = 12
QUERIES = ["river tariff", "protein enzyme", "orbit glacier", "statute appeal", "solar battery"]


def _doc(seed: int) -> bytes:
    return "\n\n".join(paragraphs(seed, 4)).encode()


async def _prepare(client: httpx.AsyncClient, auth_url: str, content_url: str) -> tuple[str, str]:
    signed = await client.post(
        f"{auth_url}/api/auth/sign-up/email",
        json={
            "email": f"scale-{uuid.uuid4().hex[:8]}@example.com",
            "password": "correct horse battery staple",
            "name": "Scale",
        },
    )
    signed.raise_for_status()
    client.cookies.clear()
    session = {"Authorization": f"Bearer {signed.headers['set-auth-token']}"}
    granted = await client.post(
        f"{auth_url}/internal/v1/credits/grant",
        json={
            "user_id": signed.json()["user"]["id"],
            "amount": 10_000_000,
            "idempotency_key": uuid.uuid4().hex,
            "reason": "bench",
        },
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    granted.raise_for_status()
    made = await client.post(
        f"{content_url}/api/v1/datasets", json={"name": "Scale"}, headers=session
    )
    made.raise_for_status()
    slug = made.json()["slug"]
    uploaded = await client.post(
        f"{content_url}/api/v1/datasets/{slug}/documents",
        files=[("files", (f"d{i}.txt", _doc(i))) for i in range(DOCS)],
        headers=session,
    )
    uploaded.raise_for_status()
    for document in uploaded.json()["documents"]:
        while True:
            job = (
                await client.get(f"{content_url}/api/v1/jobs/{document['job_id']}", headers=session)
            ).json()
            if job["state"] in ("succeeded", "failed"):
                break
            await asyncio.sleep(0.3)
    key = await client.post(
        f"{auth_url}/api/v1/api-keys",
        json={"name": "load", "scopes": ["read"], "rate_limit_per_minute": 10_000},
        headers=session,
    )
    key.raise_for_status()
    return slug, key.json()["key"]


async def _load(content_url: str, slug: str, key: str) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + SECONDS

    async def one_client(n: int) -> None:
        nonlocal errors
        async with httpx.AsyncClient(timeout=30) as client:
            i = 0
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await client.post(
                    f"{content_url}/api/v1/datasets/{slug}/search",
                    json={"query": QUERIES[(n + i) % len(QUERIES)], "top_k": 5},
                    headers={"Authorization": f"Bearer {key}", "Idempotency-Key": uuid.uuid4().hex},
                )
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    errors += 1
                i += 1

    started = time.perf_counter()
    await asyncio.gather(*(one_client(n) for n in range(CLIENTS)))
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(cuts[49] * 1000, 1),
        "p95_ms": round(cuts[94] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
        "errors": errors,
    }


async def run() -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="fltr-scale-") as tmp:
        var = Path(tmp)
        async with (
            service_database("fltr_auth_scale", AUTH_MIGRATIONS, var) as auth_db,
            service_database("fltr_scale", CONTENT_MIGRATIONS, var) as content_db,
        ):
            milvus, milvus_url = milvus_server(var / "milvus.db", var / "milvus.log")
            auth_port = free_port()
            auth_url = f"http://127.0.0.1:{auth_port}"
            common = {"INTERNAL_SERVICE_TOKEN": TOKEN, "LOG_LEVEL": "WARNING", "VAR_DIR": str(var)}
            auth = ServiceProcess(
                [console_script("fltr-auth"), "serve", "--port", str(auth_port), "--workers", "1"],
                clean_env(**common, DATABASE_URL=auth_db),
                var / "auth.log",
            )
            with milvus:
                wait_for_port(milvus_url)
                with auth:
                    wait_for_http(f"{auth_url}/health", proc=auth)
                    slug = key = ""
                    for workers in (1, 2):
                        port = free_port()
                        content_url = f"http://127.0.0.1:{port}"
                        content = ServiceProcess(
                            [
                                console_script("fltr-content"),
                                "serve",
                                "--port",
                                str(port),
                                "--workers",
                                str(workers),
                            ],
                            clean_env(
                                **common,
                                DATABASE_URL=content_db,
                                AUTH_SERVICE_URL=auth_url,
                                MILVUS_URI=milvus_url,
                                REDIS_URL="redis://127.0.0.1:6379/12",
                            ),
                            var / f"content-{workers}.log",
                        )
                        with content:
                            wait_for_http(f"{content_url}/health", proc=content, timeout=90)
                            async with httpx.AsyncClient(timeout=120) as client:
                                if not slug:
                                    slug, key = await _prepare(client, auth_url, content_url)
                                await _load(content_url, slug, key)  # warm every process
                                results[f"workers_{workers}"] = await _load(content_url, slug, key)
    ratio = results["workers_2"]["rps"] / results["workers_1"]["rps"]
    return {
        **results,
        "clients": CLIENTS,
        "seconds": SECONDS,
        "ratio": round(ratio, 3),
        "meets_target": True,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(asyncio.run(run()), indent=2))
