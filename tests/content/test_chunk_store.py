"""The chunk collections on real Milvus Lite: schema, upsert idempotence, the three search
modes, deletes, copies and literal quoting."""

from __future__ import annotations

import math
import random

import pytest
from fastapi import FastAPI

from fltr_content.vectors.chunks import ChunkRecord, ChunkStore, chunk_id, quote

pytestmark = pytest.mark.core

DIM = 8


def _vector(seed: int) -> list[float]:
    rng = random.Random(seed)
    raw = [rng.uniform(-1, 1) for _ in range(DIM)]
    norm = math.sqrt(sum(x * x for x in raw))
    return [x / norm for x in raw]


def _records(document_id: str, texts: list[str], seed: int = 0) -> list[ChunkRecord]:
    return [
        ChunkRecord(
            chunk_id=chunk_id(document_id, i),
            dataset_id="ds1",
            document_id=document_id,
            chunk_index=i,
            text=text,
            embedding=_vector(seed + i),
            title=f"Title {document_id}",
            page=i + 1,
            section="Intro",
            start_offset=i * 100,
            end_offset=i * 100 + len(text),
            tags=["alpha"],
        )
        for i, text in enumerate(texts)
    ]


@pytest.fixture
async def store(content_app: FastAPI) -> ChunkStore:
    return content_app.state.chunks  # type: ignore[no-any-return]


async def test_upsert_twice_keeps_one_copy_and_searches_find_it(store: ChunkStore) -> None:
    name = "fltr_test_chunks_a"
    await store.drop(name)
    await store.ensure_collection(name, DIM)
    await store.ensure_collection(name, DIM)  # idempotent
    records = _records("doca", ["cats purr on warm sofas", "dogs bark at the mail carrier"])
    await store.upsert(name, records)
    await store.upsert(name, records)  # a re-run of the same job
    await store.flush(name)
    assert await store.count(name) == 2

    dense = await store.dense_search(name, records[0].embedding, 2)
    assert dense[0].chunk_id == records[0].chunk_id
    assert dense[0].fields["page"] == 1
    keyword = await store.keyword_search(name, "dogs", 2)
    assert [h.chunk_id for h in keyword] == [records[1].chunk_id]
    hybrid = await store.hybrid_search(name, records[1].embedding, "dogs", 2)
    assert hybrid[0].chunk_id == records[1].chunk_id
    filtered = await store.dense_search(
        name, records[0].embedding, 2, f"page == 2 and document_id == {quote('doca')}"
    )
    assert [h.chunk_id for h in filtered] == [records[1].chunk_id]
    await store.drop(name)


async def test_delete_document_tail_and_copy(store: ChunkStore) -> None:
    source, target = "fltr_test_chunks_b", "fltr_test_chunks_c"
    for name in (source, target):
        await store.drop(name)
    await store.ensure_collection(source, DIM)
    await store.upsert(source, _records("docb", ["one", "two", "three"]))
    await store.upsert(source, _records("docc", ["four"], seed=10))
    await store.flush(source)

    copied = await store.copy(source, target, DIM, batch_size=2)
    assert copied == 4

    await store.delete_document_tail(source, "docb", keep=1)
    assert await store.count(source, f"document_id == {quote('docb')}") == 1
    await store.delete_document(source, "docc")
    assert await store.count(source) == 1
    # the copy is independent of its source
    assert await store.count(target) == 4
    rows = await store.get(target, [chunk_id("docb", 2)])
    assert rows[0]["text"] == "three"
    assert rows[0]["tags"] == ["alpha"]
    for name in (source, target):
        await store.drop(name)


async def test_hostile_literals_match_nothing(store: ChunkStore) -> None:
    name = "fltr_test_chunks_d"
    await store.drop(name)
    await store.ensure_collection(name, DIM)
    await store.upsert(name, _records("docd", ["secret"]))
    await store.flush(name)
    for hostile in ['" or 1==1 or "', 'docd" || "x', "\\", "doc\u202ed", "docd\n"]:
        assert await store.count(name, f"document_id == {quote(hostile)}") == 0
    await store.drop(name)
