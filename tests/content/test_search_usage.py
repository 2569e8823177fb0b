"""Usage of search: one ``api_usage`` row per call (written after the response, in batches),
the caller's per-day summary with the remaining allowance, the curator's view of a dataset,
and rate limits (429 with ``Retry-After`` and ``RateLimit-*``) on search."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from fltr_content.settings import ContentSettings
from fltr_content.usage.models import ApiUsage
from tests.content.search_support import (
    DATASETS,
    api_key,
    bearer,
    create_dataset,
    funded,
    index,
    quiet_app,
    rolled_back_client,
    search,
)

pytestmark = pytest.mark.core


@pytest.fixture(scope="module")
async def content_app(
    content_settings: ContentSettings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    async with quiet_app(content_settings, tmp_path_factory.mktemp("usage")) as app:
        yield app


@pytest.fixture
async def content_client(content_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with rolled_back_client(content_app) as client:
        yield client


async def rows_of(content_app: FastAPI, user_id: str) -> list[ApiUsage]:
    async with content_app.state.db.transaction() as session:
        found = await session.scalars(
            select(ApiUsage).where(ApiUsage.user_id == user_id).order_by(ApiUsage.created_at)
        )
        return list(found)


async def test_every_call_is_recorded_after_the_response(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, content_app: FastAPI
) -> None:
    owner = await funded(auth_client, 10)
    indexed = await index(content_app, await create_dataset(content_client, owner))
    key = await api_key(auth_client, owner)
    ok = await search(content_client, indexed.slug, bearer(key), query="solar", top_k=2)
    assert ok.status_code == 200
    missing = await search(content_client, "no-such-dataset", bearer(key), query="solar")
    assert missing.status_code == 404
    invalid = await search(content_client, indexed.slug, bearer(key), query="")
    assert invalid.status_code == 422
    chunk_id = ok.json()["results"][0]["chunk_id"]
    read = await content_client.get(
        f"{DATASETS}/{indexed.slug}/chunks/{chunk_id}", headers=owner.bearer
    )
    assert read.status_code == 200

    assert len(content_app.state.usage) >= 3  # buffered, not yet written
    assert await rows_of(content_app, owner.user["id"]) == []
    await content_app.state.usage.flush()
    rows = await rows_of(content_app, owner.user["id"])
    by_status = {(r.endpoint, r.status_code): r for r in rows}
    searched = by_status[("/api/v1/datasets/{ref}/search", 200)]
    assert searched.method == "POST"
    assert searched.dataset_id == indexed.id
    assert searched.api_key_id is not None
    assert searched.credits == 1
    expected_tokens = sum(r["token_count"] for r in ok.json()["results"])
    assert searched.tokens_used == expected_tokens
    assert searched.response_time_ms >= 0
    assert searched.request_id == ok.headers["x-request-id"]
    assert by_status[("/api/v1/datasets/{ref}/search", 404)].credits == 0
    chunk_row = by_status[("/api/v1/datasets/{ref}/chunks/{chunk_id}", 200)]
    assert chunk_row.api_key_id is None  # a session
    assert chunk_row.credits == 0
    assert by_status[("/api/v1/datasets/{ref}/search", 422)].credits == 0


async def test_usage_summary_and_allowance(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, content_app: FastAPI
) -> None:
    owner = await funded(auth_client, 10)
    first = await index(content_app, await create_dataset(content_client, owner))
    second = await index(content_app, await create_dataset(content_client, owner))
    key = await api_key(auth_client, owner)
    for ref, headers in (
        (first.slug, bearer(key)),
        (first.slug, bearer(key)),
        (second.slug, owner.bearer),
    ):
        assert (await search(content_client, ref, headers, query="terns")).status_code == 200
    await content_app.state.usage.flush()

    summary = await content_client.get("/api/v1/usage", headers=owner.bearer)
    assert summary.status_code == 200, summary.text
    body = summary.json()
    today = datetime.now(UTC).date().isoformat()
    items = {(i["api_key_id"] is not None, i["dataset_id"]): i for i in body["items"]}
    by_key = items[(True, first.id)]
    assert (by_key["day"], by_key["calls"], by_key["credits"], by_key["errors"]) == (today, 2, 2, 0)
    assert items[(False, second.id)]["calls"] == 1
    assert body["balance"]["credits"] == 7
    assert body["balance"]["purchased"] == 7
    assert "allowance_remaining" in body["balance"]

    stranger = await funded(auth_client, 0)
    theirs = await content_client.get("/api/v1/usage", headers=stranger.bearer)
    assert theirs.json()["items"] == []

    curator = await content_client.get(f"{DATASETS}/{first.slug}/usage", headers=owner.bearer)
    assert curator.status_code == 200, curator.text
    [day] = curator.json()["items"]
    assert (day["calls"], day["callers"], day["credits"]) == (2, 1, 2)
    forbidden = await content_client.get(f"{DATASETS}/{first.slug}/usage", headers=stranger.bearer)
    assert forbidden.status_code == 403

    later = datetime.now(UTC) + timedelta(days=2)
    empty = await content_client.get(
        "/api/v1/usage",
        params={"since": later.isoformat(), "until": (later + timedelta(days=1)).isoformat()},
        headers=owner.bearer,
    )
    assert empty.json()["items"] == []
    backwards = await content_client.get(
        "/api/v1/usage",
        params={"since": later.isoformat(), "until": datetime.now(UTC).isoformat()},
        headers=owner.bearer,
    )
    assert backwards.status_code == 400
    assert (await content_client.get("/api/v1/usage")).status_code == 401


async def test_search_rate_limit_is_429_with_headers(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, content_app: FastAPI
) -> None:
    owner = await funded(auth_client, 10)
    indexed = await index(content_app, await create_dataset(content_client, owner))
    key = await api_key(auth_client, owner, rate_limit_per_minute=2)
    for remaining in (1, 0):
        ok = await search(content_client, indexed.slug, bearer(key), query="chess")
        assert ok.status_code == 200, ok.text
        assert ok.headers["ratelimit-limit"] == "2"
        assert ok.headers["ratelimit-remaining"] == str(remaining)
    limited = await search(content_client, indexed.slug, bearer(key), query="chess")
    assert limited.status_code == 429
    assert limited.json()["error"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.headers["ratelimit-remaining"] == "0"
