"""REST search on real Milvus Lite with the real embedder: the three modes, citations,
neighbours and chunk reads, billing through the ledger (once per idempotency key), access
(allowlist 403, private 404), version pinning, cross-dataset merging, and bad inputs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from fltr_content.settings import ContentSettings
from tests.content.search_support import (
    DATASETS,
    api_key,
    balance,
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
    async with quiet_app(content_settings, tmp_path_factory.mktemp("search")) as app:
        yield app


@pytest.fixture
async def content_client(content_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with rolled_back_client(content_app) as client:
        yield client


@pytest.mark.parametrize("mode", ["hybrid", "dense", "keyword"])
async def test_each_mode_finds_the_passage_with_its_citation(
    auth_client: httpx.AsyncClient,
    content_client: httpx.AsyncClient,
    content_app: FastAPI,
    mode: str,
) -> None:
    owner = await funded(auth_client)
    indexed = await index(content_app, await create_dataset(content_client, owner))
    query = "knight moves" if mode == "keyword" else "how does the knight move in chess"
    response = await search(
        content_client, indexed.slug, owner.bearer, query=query, mode=mode, top_k=3
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mode"] == mode
    assert body["credits_charged"] == 1
    assert body["datasets"] == [f"{indexed.slug}@draft"]
    top = body["results"][0]
    assert top["document_id"] == indexed.documents["chess"]
    assert "knight" in top["text"]
    assert top["chunk_id"] == f"{indexed.documents['chess']}-000000"
    assert top["citation"] == {
        "document_id": indexed.documents["chess"],
        "title": "Chess",
        "source": "https://example.com/chess",
        "page": 1,
        "section": "chess section",
        "start_offset": 0,
        "end_offset": len(top["text"]),
    }
    assert len(body["results"]) <= 3
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)
    assert "ratelimit-limit" in response.headers


async def test_each_search_costs_one_credit_and_a_retry_is_charged_once(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, content_app: FastAPI
) -> None:
    owner = await funded(auth_client, 10)
    indexed = await index(content_app, await create_dataset(content_client, owner))
    key = await api_key(auth_client, owner)
    assert await balance(auth_client, owner) == 10
    for _ in range(2):
        retried = await search(
            content_client,
            indexed.slug,
            {**bearer(key), "Idempotency-Key": "retry-1"},
            query="solar power",
        )
        assert retried.status_code == 200, retried.text
    assert await balance(auth_client, owner) == 9
    fresh = await search(content_client, indexed.slug, bearer(key), query="solar power")
    assert fresh.status_code == 200
    assert await balance(auth_client, owner) == 8
    bad_key = await search(
        content_client, indexed.slug, {**bearer(key), "Idempotency-Key": "x y"}, query="solar"
    )
    assert bad_key.status_code == 400
    assert bad_key.json()["error"] == "invalid_idempotency_key"


async def test_no_credits_is_402_with_no_results(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, content_app: FastAPI
) -> None:
    owner = await funded(auth_client, 0)
    indexed = await index(content_app, await create_dataset(content_client, owner))
    response = await search(content_client, indexed.slug, owner.bearer, query="terns")
    assert response.status_code == 402, response.text
    assert response.json()["error"] == "insufficient_credits"
    assert "results" not in response.json()


async def test_neighbors_and_chunk_reads(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, content_app: FastAPI
) -> None:
    owner = await funded(auth_client)
    indexed = await index(content_app, await create_dataset(content_client, owner))
    response = await search(
        content_client,
        indexed.slug,
        owner.bearer,
        query="longest migration of any animal",
        top_k=1,
        neighbors=1,
    )
    assert response.status_code == 200, response.text
    [hit] = response.json()["results"]
    assert hit["chunk_index"] == 1
    assert [c["chunk_index"] for c in hit["before"]] == [0]
    assert [c["chunk_index"] for c in hit["after"]] == [2]
    assert hit["before"][0]["end_offset"] == hit["citation"]["start_offset"]

    chunk = await content_client.get(
        f"{DATASETS}/{indexed.slug}/chunks/{hit['chunk_id']}",
        params={"neighbors": 2},
        headers=owner.bearer,
    )
    assert chunk.status_code == 200, chunk.text
    body = chunk.json()
    assert body["text"] == hit["text"]
    assert [c["chunk_index"] for c in body["before"]] == [0]
    assert [c["chunk_index"] for c in body["after"]] == [2]
    missing = await content_client.get(
        f"{DATASETS}/{indexed.slug}/chunks/nope-000001", headers=owner.bearer
    )
    assert missing.status_code == 404
    assert missing.json()["error"] == "chunk_not_found"
    too_many = await content_client.get(
        f"{DATASETS}/{indexed.slug}/chunks/{hit['chunk_id']}",
        params={"neighbors": 6},
        headers=owner.bearer,
    )
    assert too_many.status_code == 422


async def test_filters_narrow_the_hits(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, content_app: FastAPI
) -> None:
    owner = await funded(auth_client)
    indexed = await index(content_app, await create_dataset(content_client, owner))

    async def chunk_ids(filters: dict[str, Any], query: str = "energy and animals") -> set[str]:
        response = await search(
            content_client, indexed.slug, owner.bearer, query=query, top_k=50, filters=filters
        )
        assert response.status_code == 200, response.text
        return {r["chunk_id"] for r in response.json()["results"]}

    energy = indexed.documents["energy"]
    assert {c.rsplit("-", 1)[0] for c in await chunk_ids({"document_id": energy})} == {energy}
    assert await chunk_ids({"page": {"gte": 2, "lte": 2}}) == {
        f"{doc}-000001" for doc in indexed.documents.values()
    }
    assert await chunk_ids({"page": {"lte": 1}, "tags": ["birds"]}) == {
        f"{indexed.documents['birds']}-000000"
    }
    assert await chunk_ids({"section": "chess section", "source": ["https://example.com/chess"]})
    assert await chunk_ids({"tags": ["nothing-like-this"]}) == set()
    assert await chunk_ids({"title": ["Birds", "Chess"]}) == {
        f"{indexed.documents[t]}-00000{i}" for t in ("birds", "chess") for i in range(3)
    }


INJECTIONS = [
    '" or 1==1 or "',
    "' or 1==1 or '",
    '") or (1==1',
    "x\\",
    '\\" or dataset_id != "',
    "ünïcødé ☃ 🙂 \u202e",
    "or 1==1",
    "]) or ARRAY_CONTAINS(tags, 'facts'",
]


@pytest.mark.parametrize("field", ["document_id", "source", "section", "title", "tags"])
async def test_filter_injection_matches_nothing_and_never_another_dataset(
    auth_client: httpx.AsyncClient,
    content_client: httpx.AsyncClient,
    content_app: FastAPI,
    field: str,
) -> None:
    owner = await funded(auth_client)
    other = await funded(auth_client)
    mine = await index(content_app, await create_dataset(content_client, owner))
    await index(content_app, await create_dataset(content_client, other, visibility="private"))
    for value in INJECTIONS:
        response = await search(
            content_client,
            mine.slug,
            owner.bearer,
            query="knight",
            mode="keyword",
            filters={field: value},
        )
        assert response.status_code == 200, (value, response.text)
        assert response.json()["results"] == [], value
    for value in ["a\x00b", "line\nbreak", "\ud800"]:
        response = await content_client.post(
            f"{DATASETS}/{mine.slug}/search",
            content=(
                '{"query": "knight", "filters": {"' + field + '": "' + repr(value)[1:-1] + '"}}'
            ).encode(),
            headers={**owner.bearer, "Content-Type": "application/json"},
        )
        assert response.status_code == 422, (value, response.text)
    page = await search(
        content_client,
        mine.slug,
        owner.bearer,
        query="knight",
        filters={"page": {"gte": "1 or 1==1"}},
    )
    assert page.status_code == 422


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"query": ""}, 422),
        ({"query": "   "}, 422),
        ({"query": "x" * 2001}, 422),
        ({"query": "ok", "top_k": 0}, 422),
        ({"query": "ok", "top_k": 51}, 422),
        ({"query": "ok", "mode": "fuzzy"}, 422),
        ({"query": "ok", "neighbors": 6}, 422),
        ({"query": "ok", "filters": {"colour": "red"}}, 422),
        ({"query": "ok", "filters": {"page": {"gte": 5, "lte": 1}}}, 422),
        ({"query": "ok", "filters": {"document_id": []}}, 422),
        ({"query": "ok", "unknown": 1}, 422),
        ({"query": "ok", "rerank": True}, 400),
    ],
)
async def test_bad_inputs(
    auth_client: httpx.AsyncClient,
    content_client: httpx.AsyncClient,
    content_app: FastAPI,
    body: dict[str, Any],
    status: int,
) -> None:
    owner = await funded(auth_client, 5)
    dataset = await create_dataset(content_client, owner)
    response = await search(content_client, dataset["slug"], owner.bearer, **body)
    assert response.status_code == status, response.text
    assert await balance(auth_client, owner) == 5


async def test_who_may_search(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, content_app: FastAPI
) -> None:
    owner = await funded(auth_client)
    stranger = await funded(auth_client)
    public = await index(content_app, await create_dataset(content_client, owner))
    private = await create_dataset(content_client, owner, visibility="private")

    anonymous = await search(content_client, public.slug, {}, query="terns")
    assert anonymous.status_code == 401
    unknown = await search(content_client, "no-such-dataset", stranger.bearer, query="terns")
    assert unknown.status_code == 404
    hidden = await search(content_client, private["slug"], stranger.bearer, query="terns")
    assert hidden.status_code == 404
    assert (await search(content_client, public.slug, stranger.bearer, query="terns")).json()[
        "results"
    ]

    allowlisted = await api_key(auth_client, stranger, datasets=[private["slug"]])
    refused = await search(content_client, public.slug, bearer(allowlisted), query="terns")
    assert refused.status_code == 403
    assert refused.json()["error"] == "dataset_not_allowed"
    still_hidden = await search(content_client, private["slug"], bearer(allowlisted), query="x")
    assert still_hidden.status_code == 404

    key = await api_key(auth_client, stranger)
    keys = await auth_client.get("/api/v1/api-keys", headers=stranger.bearer)
    key_id = next(
        k["id"] for k in keys.json()["items"] if k["name"] == "agent" and not k.get("datasets")
    )
    revoked = await auth_client.delete(f"/api/v1/api-keys/{key_id}", headers=stranger.bearer)
    assert revoked.status_code in (200, 204), revoked.text
    gone = await search(content_client, public.slug, bearer(key), query="terns")
    assert gone.status_code == 401


async def test_premium_needs_an_entitlement(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, content_app: FastAPI
) -> None:
    owner = await funded(auth_client)
    buyer = await funded(auth_client)
    premium = await index(
        content_app,
        await create_dataset(
            content_client, owner, visibility="premium", pricing_model="one_time", price_cents=500
        ),
    )
    refused = await search(content_client, premium.slug, buyer.bearer, query="terns")
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"] == "entitlement_required"
    own = await search(content_client, premium.slug, owner.bearer, query="terns")
    assert own.status_code == 200, own.text
    assert own.json()["credits_charged"] == 1


async def test_a_pinned_version_keeps_its_answers_after_new_uploads(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, content_app: FastAPI
) -> None:
    owner = await funded(auth_client)
    dataset = await create_dataset(content_client, owner)
    await index(content_app, dataset, {"v1": ["The old answer is forty-two. "]}, tags=("v1",))
    published = await content_client.post(
        f"{DATASETS}/{dataset['slug']}/versions", json={"version": "1.0.0"}, headers=owner.bearer
    )
    assert published.status_code in (201, 202), published.text
    await index(content_app, dataset, {"v2": ["The new answer is forty-three. "]}, tags=("v2",))

    pinned = await search(
        content_client, f"{dataset['slug']}@1.0.0", owner.bearer, query="answer", top_k=10
    )
    assert pinned.status_code == 200, pinned.text
    assert [r["text"] for r in pinned.json()["results"]] == ["The old answer is forty-two. "]
    assert pinned.json()["datasets"] == [f"{dataset['slug']}@1.0.0"]
    draft = await search(
        content_client, f"{dataset['slug']}@draft", owner.bearer, query="answer", top_k=10
    )
    assert {r["text"] for r in draft.json()["results"]} == {
        "The old answer is forty-two. ",
        "The new answer is forty-three. ",
    }
    missing = await search(content_client, f"{dataset['slug']}@9.9.9", owner.bearer, query="x")
    assert missing.status_code == 404


async def test_an_empty_dataset_answers_no_results(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, content_app: FastAPI
) -> None:
    owner = await funded(auth_client)
    dataset = await create_dataset(content_client, owner)
    response = await search(content_client, dataset["slug"], owner.bearer, query="anything")
    assert response.status_code == 200, response.text
    assert response.json()["results"] == []


async def test_cross_dataset_search_merges_by_score_and_charges_each(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, content_app: FastAPI
) -> None:
    owner = await funded(auth_client, 10)
    first = await index(content_app, await create_dataset(content_client, owner), {"chess": CHESS})
    second = await index(content_app, await create_dataset(content_client, owner), {"birds": BIRDS})
    for mode in ("hybrid", "keyword", "dense"):
        response = await content_client.post(
            "/api/v1/search",
            json={"datasets": [first.slug, second.slug], "query": "arctic tern", "mode": mode},
            headers=owner.bearer,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["credits_charged"] == 2
        assert body["results"][0]["dataset"] == second.slug
        assert {r["dataset"] for r in body["results"]} <= {first.slug, second.slug}
        scores = [r["score"] for r in body["results"]]
        assert scores == sorted(scores, reverse=True)
    assert await balance(auth_client, owner) == 4
    duplicate = await content_client.post(
        "/api/v1/search",
        json={"datasets": [first.slug, first.slug], "query": "x"},
        headers=owner.bearer,
    )
    assert duplicate.status_code == 422
    unknown = await content_client.post(
        "/api/v1/search",
        json={"datasets": [first.slug, "no-such-dataset"], "query": "x"},
        headers=owner.bearer,
    )
    assert unknown.status_code == 404
    assert await balance(auth_client, owner) == 4


CHESS = ["In chess the knight moves in an L shape. ", "The bishop moves diagonally. "]
BIRDS = ["Arctic terns migrate from pole to pole. ", "Terns eat small fish. "]


@pytest.mark.parametrize(("mode", "hits"), [("hybrid", True), ("keyword", False)])
async def test_a_query_with_no_keyword_terms_is_not_an_error(
    auth_client: httpx.AsyncClient,
    content_client: httpx.AsyncClient,
    content_app: FastAPI,
    mode: str,
    hits: bool,
) -> None:
    """ "0" leaves BM25 nothing to score (Milvus answered with a NaN sparse row error, found by
    schemathesis): keyword search finds nothing, hybrid is dense alone."""
    owner = await funded(auth_client)
    indexed = await index(content_app, await create_dataset(content_client, owner))
    response = await search(content_client, indexed.slug, owner.bearer, query="0", mode=mode)
    assert response.status_code == 200, response.text
    assert bool(response.json()["results"]) is hits


async def test_the_mcp_challenge_survives_any_ref(content_client: httpx.AsyncClient) -> None:
    """A non-latin-1 ref once crashed the 401's WWW-Authenticate header (found by fuzzing)."""
    response = await content_client.post("/mcp/%C3%90t%C2%B8%E8%9D%95")
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert "/.well-known/oauth-protected-resource/mcp/%C3%90t%C2%B8%E8%9D%95" in challenge
