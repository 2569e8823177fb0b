"""Catalog listing latency at 10,000 datasets: ``GET /api/v1/datasets`` through the whole
content app (in-process, httpx ASGI transport; the auth service served over real HTTP for
the owner profiles, cached after the first page) against a bare ``SELECT`` of the same page
on one asyncpg connection, in the same run, alternating rounds.

Reported per listing (newest first, a category filter, the rating sort, a text match): the
median latency of each and their ratio. The bare SELECT is a prepared, index-backed query of
0.1-1 ms, so the ratio mostly measures the API's fixed per-request cost (middleware, the
request's transaction, the tags query, ORM and JSON); the target is on what a client sees:
the API's median page at 10,000 datasets within 25 ms.

Needs PostgreSQL (FLTR_TEST_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import logging
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from pydantic import SecretStr

from fltr_auth.app import create_app as create_auth_app
from fltr_auth.migration_spec import AUTH_MIGRATIONS
from fltr_auth.settings import AuthSettings
from fltr_content.app import create_app as create_content_app
from fltr_content.migration_spec import CONTENT_MIGRATIONS
from fltr_content.settings import ContentSettings
from tests.support import serve_in_loop, service_database

ROWS = 10_000
PAGE = 20
REQUESTS = 200  # per listing and round
ROUNDS = 3
TARGET_API_MS = 25.0
TOKEN = "bench-service-token-" + "x" * 32

SEED_SQL = """
INSERT INTO datasets (id, owner_id, owner_type, name, slug, description, category, visibility,
    status, pricing_model, metadata, rating_average, rating_count, download_count,
    is_featured, is_verified, created_at, updated_at)
SELECT 'bench' || lpad(g::text, 27, '0'), 'owner' || (g % 500), 'user', 'Dataset ' || g,
    'bench-' || g, 'About topic ' || g,
    (ARRAY['medical','legal','travel','finance','tech','other'])[1 + g % 6],
    (ARRAY['public','public','public','premium','private'])[1 + g % 5],
    'ready', 'free', '{}', (g % 50) / 10.0, g % 20, (g * 7919) % 100000,
    g % 100 = 0, g % 37 = 0, now() - g * interval '1 minute', now()
FROM generate_series(1, 10000) AS g  -- ROWS
"""

_BARE = (
    "SELECT * FROM datasets WHERE deleted_at IS NULL AND visibility IN ('public', 'premium') {and_}"
    "ORDER BY {order} DESC, id DESC LIMIT {limit}"
)
# name -> (query parameters of the API, the same page as bare SQL)
LISTINGS: dict[str, tuple[dict[str, Any], str]] = {
    "newest": ({}, _BARE.format(and_="", order="created_at", limit=PAGE + 1)),
    "category": (
        {"category": "legal"},
        _BARE.format(and_="AND category = 'legal' ", order="created_at", limit=PAGE + 1),
    ),
    "rating": ({"sort": "rating"}, _BARE.format(and_="", order="rating_average", limit=PAGE + 1)),
    "text_match": (
        {"q": "topic 12"},
        _BARE.format(
            and_="AND (name ILIKE '%topic 12%' OR description ILIKE '%topic 12%') ",
            order="created_at",
            limit=PAGE + 1,
        ),
    ),
}


async def _api_ms(client: httpx.AsyncClient, params: dict[str, Any]) -> float:
    start = time.perf_counter()
    response = await client.get("/api/v1/datasets", params={"limit": PAGE, **params})
    elapsed = (time.perf_counter() - start) * 1000
    response.raise_for_status()
    return elapsed


async def _bare_ms(conn: asyncpg.Connection, sql: str) -> float:
    start = time.perf_counter()
    await conn.fetch(sql)
    return (time.perf_counter() - start) * 1000


async def run() -> dict[str, Any]:
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        async with (
            service_database("fltr_auth_bench", AUTH_MIGRATIONS, tmp_dir) as auth_url,
            service_database("fltr_bench", CONTENT_MIGRATIONS, tmp_dir) as content_url,
        ):
            dsn = content_url.replace("+asyncpg", "")
            conn = await asyncpg.connect(dsn)
            try:
                await conn.execute(SEED_SQL)
                await conn.execute("ANALYZE datasets")
                auth_app = create_auth_app(
                    AuthSettings(
                        _env_file=None,
                        fltr_env="test",
                        database_url=auth_url,
                        var_dir=tmp_dir / "var",
                        internal_service_token=SecretStr(TOKEN),
                        log_level="ERROR",
                    )
                )
                async with (
                    auth_app.router.lifespan_context(auth_app),
                    serve_in_loop(auth_app) as auth_base,
                ):
                    content_app = create_content_app(
                        ContentSettings(
                            _env_file=None,
                            fltr_env="test",
                            database_url=content_url,
                            var_dir=tmp_dir / "var",
                            auth_service_url=auth_base,
                            internal_service_token=SecretStr(TOKEN),
                            log_level="ERROR",
                        )
                    )
                    async with (
                        content_app.router.lifespan_context(content_app),
                        httpx.AsyncClient(
                            transport=httpx.ASGITransport(app=content_app),
                            base_url="http://bench",
                        ) as client,
                    ):
                        results = await _measure(client, conn)
            finally:
                await conn.close()
    logging.disable(logging.NOTSET)
    worst = max(r["ratio"] for r in results.values())
    slowest = max(r["api_median_ms"] for r in results.values())
    return {
        "datasets": ROWS,
        "page_size": PAGE,
        "listings": results,
        "worst_ratio": worst,
        "slowest_api_median_ms": slowest,
        "target_api_median_ms_at_most": TARGET_API_MS,
        "meets_target": slowest <= TARGET_API_MS,
        "requests_per_round": REQUESTS,
        "rounds": ROUNDS,
    }


async def _measure(client: httpx.AsyncClient, conn: asyncpg.Connection) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name, (params, sql) in LISTINGS.items():
        for _ in range(20):  # warm up: caches, prepared statements, the profiles
            await _api_ms(client, params)
            await _bare_ms(conn, sql)
        api: list[float] = []
        bare: list[float] = []
        for _ in range(ROUNDS):
            api += [await _api_ms(client, params) for _ in range(REQUESTS)]
            bare += [await _bare_ms(conn, sql) for _ in range(REQUESTS)]
        api_ms, bare_ms = statistics.median(api), statistics.median(bare)
        results[name] = {
            "api_median_ms": round(api_ms, 3),
            "bare_select_median_ms": round(bare_ms, 3),
            "ratio": round(api_ms / bare_ms, 2),
        }
    return results


if __name__ == "__main__":
    import asyncio
    import json

    print(json.dumps(asyncio.run(run()), indent=2))
