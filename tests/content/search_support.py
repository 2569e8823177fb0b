"""Helpers of the search and MCP tests: funded users, datasets with chunks embedded by the
app's real embedder in their working copy, and the usage recorder held still."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from fltr_content.app import create_app
from fltr_content.datasets.models import Dataset
from fltr_content.documents.models import Document, new_document_id
from fltr_content.settings import ContentSettings
from fltr_content.usage.recorder import UsageRecorder
from fltr_content.vectors.chunks import ChunkRecord, ChunkStore, chunk_id
from fltr_content.versions import service as versions
from tests.auth.credit_helpers import grant
from tests.auth.helpers import SignedUp, sign_up
from tests.conftest import rolled_back

DATASETS = "/api/v1/datasets"

# one document per topic; each chunk is ~one sentence, offsets tile the document's text
CORPUS: dict[str, list[str]] = {
    "birds": [
        "Arctic terns migrate from the Arctic to the Antarctic every year. ",
        "Their round trip is the longest migration of any animal. ",
        "Terns feed on small fish caught near the surface of the sea. ",
    ],
    "energy": [
        "Solar panels convert sunlight into electricity with photovoltaic cells. ",
        "Wind turbines turn the kinetic energy of moving air into power. ",
        "Batteries store surplus energy for use at night. ",
    ],
    "chess": [
        "In chess the knight moves in an L shape and can jump over pieces. ",
        "The bishop moves diagonally across the board. ",
        "Castling moves the king two squares towards a rook. ",
    ],
}


@dataclass
class Indexed:
    dataset: dict[str, Any]
    documents: dict[str, str] = field(default_factory=dict)  # topic -> document id
    collection: str = ""

    @property
    def slug(self) -> str:
        return str(self.dataset["slug"])

    @property
    def id(self) -> str:
        return str(self.dataset["id"])


async def funded(auth_client: httpx.AsyncClient, credits: int = 100) -> SignedUp:
    account = await sign_up(auth_client)
    if credits:
        await grant(auth_client, account.user["id"], credits)
    return account


async def api_key(auth_client: httpx.AsyncClient, who: SignedUp, **body: Any) -> str:
    response = await auth_client.post(
        "/api/v1/api-keys", json={"name": "agent", **body}, headers=who.bearer
    )
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def balance(auth_client: httpx.AsyncClient, who: SignedUp) -> int:
    response = await auth_client.get("/api/v1/credits/balance", headers=who.bearer)
    assert response.status_code == 200, response.text
    return int(response.json()["credits"])


async def create_dataset(
    content_client: httpx.AsyncClient, owner: SignedUp, **body: Any
) -> dict[str, Any]:
    payload = {"name": f"Search {uuid.uuid4().hex[:8]}", "description": "Facts for tests.", **body}
    response = await content_client.post(DATASETS, json=payload, headers=owner.bearer)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def index(
    content_app: FastAPI,
    dataset: dict[str, Any],
    corpus: dict[str, list[str]] = CORPUS,
    *,
    tags: Sequence[str] = ("facts",),
) -> Indexed:
    """Documents and their chunks in the dataset's working copy, as ingestion leaves them:
    vectors from the app's embedder, one flushed collection."""
    chunks: ChunkStore = content_app.state.chunks
    embedder = content_app.state.embedder
    indexed = Indexed(dataset)
    async with content_app.state.db.transaction() as session:
        row = await session.get(Dataset, dataset["id"])
        assert row is not None
        indexed.collection = (await versions.working_copy(session, row)).collection_name
        for topic, texts in corpus.items():
            document_id = new_document_id()
            indexed.documents[topic] = document_id
            session.add(
                Document(
                    id=document_id,
                    dataset_id=row.id,
                    filename=f"{topic}.txt",
                    title=topic.title(),
                    content_type="text",
                    size_bytes=sum(len(t) for t in texts),
                    content_hash=uuid.uuid4().hex,
                    storage_key=f"k/{document_id}",
                    status="ready",
                    chunk_count=len(texts),
                )
            )
    await chunks.ensure_collection(indexed.collection, embedder.dimension)
    records: list[ChunkRecord] = []
    for topic, texts in corpus.items():
        vectors = await asyncio.to_thread(embedder.embed_documents, texts)
        offset = 0
        for i, (text, vector) in enumerate(zip(texts, vectors, strict=True)):
            records.append(
                ChunkRecord(
                    chunk_id=chunk_id(indexed.documents[topic], i),
                    dataset_id=row.id,
                    document_id=indexed.documents[topic],
                    chunk_index=i,
                    text=text,
                    embedding=vector,
                    title=topic.title(),
                    source=f"https://example.com/{topic}",
                    page=i + 1,
                    section=f"{topic} section",
                    start_offset=offset,
                    end_offset=offset + len(text),
                    token_count=len(text.split()),
                    tags=[*tags, topic],
                )
            )
            offset += len(text)
    await chunks.upsert(indexed.collection, records)
    await chunks.flush(indexed.collection)
    return indexed


async def search(
    client: httpx.AsyncClient, ref: str, headers: dict[str, str], **body: Any
) -> httpx.Response:
    return await client.post(f"{DATASETS}/{ref}/search", json=body, headers=headers)


@asynccontextmanager
async def quiet_app(settings: ContentSettings, milvus_dir: Path) -> AsyncIterator[FastAPI]:
    """A content app of its own (own Milvus Lite file) that uses the database only in
    requests: no job poller and no timed usage writes, because every request of a test shares
    one rolled-back connection and a background query on it would break the savepoints."""
    app = create_app(
        settings.model_copy(
            update={"milvus_uri": str(milvus_dir / "search.db"), "api_key_cache_seconds": 0}
        )
    )
    async with app.router.lifespan_context(app):
        await app.state.jobs.stop()
        app.state.usage.pause()
        yield app


@asynccontextmanager
async def rolled_back_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client in a rolled-back transaction; buffered usage rows are written (and so rolled
    back) before it ends."""
    recorder: UsageRecorder = app.state.usage
    async with (
        rolled_back(app.state.db),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://content.test", timeout=60
        ) as client,
    ):
        try:
            yield client
        finally:
            await recorder.flush()
