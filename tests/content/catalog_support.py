"""Helpers the catalog tests share: teams through the auth service's organization API,
chunks written straight into a dataset's working collection, and the content service's own
view of a credential."""

from __future__ import annotations

import math
import random
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from fltr_content.callers.resolver import Caller
from fltr_content.datasets.models import Dataset
from fltr_content.documents.models import Document
from fltr_content.vectors.chunks import ChunkRecord, ChunkStore, chunk_id
from fltr_content.versions import service as versions
from tests.auth.helpers import SignedUp
from tests.auth.test_teams import create_org, join

DIM = 8

__all__ = ["DIM", "create_org", "join"]


def vector(seed: int) -> list[float]:
    rng = random.Random(seed)
    raw = [rng.uniform(-1, 1) for _ in range(DIM)]
    norm = math.sqrt(sum(x * x for x in raw))
    return [x / norm for x in raw]


async def working_collection(content_app: FastAPI, dataset_id: str) -> str:
    async with content_app.state.db.transaction() as session:
        dataset = await session.get(Dataset, dataset_id)
        assert dataset is not None
        return (await versions.working_copy(session, dataset)).collection_name


async def upload_chunks(
    content_app: FastAPI, dataset_id: str, texts: list[str], document_id: str | None = None
) -> str:
    """A ready document with these chunks in the working copy (what ingestion leaves)."""
    chunks: ChunkStore = content_app.state.chunks
    collection = await working_collection(content_app, dataset_id)
    async with content_app.state.db.transaction() as session:
        document = Document(
            dataset_id=dataset_id,
            filename="notes.txt",
            content_type="text",
            size_bytes=100,
            content_hash=(document_id or "") + str(random.random()),
            storage_key="k",
            status="ready",
            chunk_count=len(texts),
        )
        if document_id is not None:
            document.id = document_id
        session.add(document)
        await session.flush()
        doc_id = document.id
    await chunks.ensure_collection(collection, DIM)
    await chunks.upsert(
        collection,
        [
            ChunkRecord(
                chunk_id=chunk_id(doc_id, i),
                dataset_id=dataset_id,
                document_id=doc_id,
                chunk_index=i,
                text=text,
                embedding=vector(i),
            )
            for i, text in enumerate(texts)
        ],
    )
    await chunks.flush(collection)
    return doc_id


async def dataset_row(content_app: FastAPI, dataset_id: str) -> Dataset:
    async with content_app.state.db.transaction() as session:
        dataset = await session.scalar(select(Dataset).where(Dataset.id == dataset_id))
        assert dataset is not None
        return dataset


async def caller_of(
    content_app: FastAPI, who: SignedUp | None = None, key: str | None = None
) -> Caller | None:
    """The content service's caller for a session or an API key, as a request would get it."""
    resolver = content_app.state.callers
    if key is not None:
        caller: Caller | None = await resolver.from_api_key(key)
        return caller
    if who is None:
        return None
    resolved: Caller | None = await resolver.from_session_value(who.signed)
    return resolved


async def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
