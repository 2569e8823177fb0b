"""At 10,000 datasets every browse query stays index-backed: the SQL the listing emits (caught
on its way to PostgreSQL) is EXPLAINed for each filter and sort, and each plan must use one
of the datasets indexes (seed 000's, plus migration 0006's for the rating and popularity
sorts and the owner filter) and never a sequential scan of ``datasets``.

PostgreSQL only (the planner is the point); the rows live in the test's transaction and are
ANALYZEd there, so the planner sees the real 10,000.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text

from tests.auth.helpers import sign_up
from tests.support import BACKEND

pytestmark = pytest.mark.skipif(BACKEND == "sqlite", reason="EXPLAIN plans are PostgreSQL's")

ROWS = 10_000
# an index scan of datasets: one of its own indexes, or its primary key (the tag filter
# finds the tagged ids through dataset_tags first)
DATASETS_INDEX = re.compile(
    r"(Index (Only )?Scan( Backward)? using (datasets_\w+|pk_datasets) on datasets\b)"
    r"|(Bitmap Index Scan on datasets_\w+)"
)

SEED_SQL = """
INSERT INTO datasets (id, owner_id, owner_type, name, slug, description, category, visibility,
    status, pricing_model, metadata, rating_average, rating_count, download_count,
    is_featured, is_verified, created_at, updated_at)
SELECT 'listing' || lpad(g::text, 25, '0'), 'owner' || (g % 500), 'user', 'Dataset ' || g,
    'listing-' || g, 'About topic ' || g,
    (ARRAY['medical','legal','travel','finance','tech','other'])[1 + g % 6],
    (ARRAY['public','public','public','premium','private'])[1 + g % 5],
    'ready', (ARRAY['free','free','one_time','subscription'])[1 + g % 4], '{}',
    (g % 50) / 10.0, g % 20, (g * 7919) % 100000, g % 100 = 0, g % 37 = 0,
    now() - g * interval '1 minute', now()
FROM generate_series(1, 10000) AS g  -- ROWS
"""
TAG_SQL = """
WITH tag AS (
    INSERT INTO tags (id, name, slug, usage_count) VALUES ('listingtag', 'Indexed', 'indexed', 0)
    RETURNING id
)
INSERT INTO dataset_tags (dataset_id, tag_id)
SELECT 'listing' || lpad(g::text, 25, '0'), tag.id FROM generate_series(1, 10000, 10) g, tag
"""

CASES: list[dict[str, Any]] = [
    {},
    {"sort": "rating"},
    {"sort": "popularity"},
    {"category": "legal"},
    {"category": "legal", "sort": "rating"},
    {"visibility": "premium"},
    {"owner": "owner7"},
    {"featured": "true"},
    {"verified": "true"},
    {"tag": "indexed"},
    {"q": "topic 99"},
    {"category": "tech", "featured": "false", "sort": "popularity"},
]


@contextmanager
def listing_statements(app: FastAPI) -> Iterator[list[tuple[str, Any]]]:
    """Every SELECT of datasets with an ORDER BY (the page query) sent while inside."""
    caught: list[tuple[str, Any]] = []

    def catch(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM datasets" in statement and "ORDER BY" in statement:
            caught.append((statement, parameters))

    engine = app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", catch)
    try:
        yield caught
    finally:
        event.remove(engine, "before_cursor_execute", catch)


async def explain(app: FastAPI, statement: str, parameters: Any) -> str:
    async with app.state.db.sessionmaker() as session:
        conn = await session.connection()
        result = await conn.exec_driver_sql("EXPLAIN " + statement, parameters)
        return "\n".join(row[0] for row in result)


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
async def test_every_listing_query_uses_an_index(
    auth_client: httpx.AsyncClient,
    content_client: httpx.AsyncClient,
    content_app: FastAPI,
    signed_in: bool,
) -> None:
    headers = (await sign_up(auth_client)).bearer if signed_in else None
    async with content_app.state.db.transaction() as session:
        await session.execute(text(SEED_SQL))
        await session.execute(text(TAG_SQL))
        await session.execute(text("ANALYZE datasets"))
        await session.execute(text("ANALYZE dataset_tags"))

    plans: dict[str, str] = {}
    for params in CASES:
        with listing_statements(content_app) as caught:
            page = await content_client.get(
                "/api/v1/datasets", params={"limit": 20, **params}, headers=headers
            )
            assert page.status_code == 200, page.text
            assert page.json()["items"] or params.get("q")
            cursor = page.json()["next_cursor"]
            if cursor is not None:  # the second page's keyset condition too
                second = await content_client.get(
                    "/api/v1/datasets",
                    params={"limit": 20, "cursor": cursor, **params},
                    headers=headers,
                )
                assert second.status_code == 200
        assert caught, params
        for n, (statement, parameters) in enumerate(caught):
            plans[f"{params} #{n}"] = await explain(content_app, statement, parameters)

    for case, plan in plans.items():
        assert not re.search(r"Seq Scan on datasets\b", plan), f"{case}:\n{plan}"
        assert DATASETS_INDEX.search(plan), f"{case}:\n{plan}"
