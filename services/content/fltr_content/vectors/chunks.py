"""The chunk collections: one Milvus collection per dataset version (seed 000), one schema.

Every filterable field is a typed scalar (filters on JSON were 20x slower in Milvus Lite, see
the shared docs), the text is analyzed so a BM25 function fills a sparse field for keyword and
hybrid search, and the primary key is derived from (document, chunk index) so writing a chunk
twice is an upsert, never a duplicate.

pymilvus is blocking: every call runs in a thread. Writes to one collection are serialized in
this process by a lock; across processes only one writer runs a collection at a time because
ingestion of a dataset runs as one job at a time per document and publishing copies into a
fresh collection nobody else writes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from fltr_content.vectors.store import VectorStore
from fltr_shared.metrics_catalog import milvus_timer

TEXT_MAX_BYTES = 65_535  # Milvus VARCHAR limit; chunks are ~1-2 KB, this is a guard
SHORT_MAX = 1024
SOURCE_MAX = 2048
MAX_TAGS = 32
NO_PAGE = -1  # pages are 1-based; -1 means the format has none
UPSERT_BATCH = 500

# Returned by searches and reads; the vectors stay in Milvus.
CHUNK_FIELDS = [
    "chunk_id",
    "dataset_id",
    "document_id",
    "chunk_index",
    "text",
    "title",
    "source",
    "page",
    "section",
    "start_offset",
    "end_offset",
    "content_hash",
    "token_count",
    "tags",
]


def chunk_id(document_id: str, chunk_index: int) -> str:
    """Stable per (document, index): a re-run of a job overwrites, never duplicates."""
    return f"{document_id}-{chunk_index:06d}"


def quote(value: str) -> str:
    """A Milvus string literal for ``value``: JSON's escaping (quotes, backslashes, control
    characters) is what Milvus' expression parser reads. Filters are built from this, never
    from pasted user text."""
    # non-ASCII stays literal: Milvus does not decode backslash-u escapes, so an escaped value
    # would never match
    return json.dumps(value, ensure_ascii=False)


def _clip(text: str, max_bytes: int) -> str:
    raw = text.encode()
    if len(raw) <= max_bytes:
        return text
    return raw[:max_bytes].decode(errors="ignore")


@dataclass
class ChunkRecord:
    chunk_id: str
    dataset_id: str
    document_id: str
    chunk_index: int
    text: str
    embedding: list[float]
    title: str = ""
    source: str = ""
    page: int = NO_PAGE
    section: str = ""
    start_offset: int = 0
    end_offset: int = 0
    content_hash: str = ""
    token_count: int = 0
    tags: list[str] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        row = asdict(self)
        row["text"] = _clip(self.text, TEXT_MAX_BYTES)
        row["title"] = _clip(self.title, SHORT_MAX)
        row["section"] = _clip(self.section, SHORT_MAX)
        row["source"] = _clip(self.source, SOURCE_MAX)
        row["tags"] = [_clip(t, 128) for t in self.tags[:MAX_TAGS]]
        return row


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    score: float
    fields: dict[str, Any]


def _schema(client: Any, dimension: int) -> Any:
    from pymilvus import DataType, Function, FunctionType

    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("chunk_id", DataType.VARCHAR, is_primary=True, max_length=64)
    schema.add_field("dataset_id", DataType.VARCHAR, max_length=64)
    schema.add_field("document_id", DataType.VARCHAR, max_length=64)
    schema.add_field("chunk_index", DataType.INT64)
    schema.add_field("text", DataType.VARCHAR, max_length=TEXT_MAX_BYTES, enable_analyzer=True)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("embedding", DataType.FLOAT_VECTOR, dim=dimension)
    schema.add_field("title", DataType.VARCHAR, max_length=SHORT_MAX)
    schema.add_field("source", DataType.VARCHAR, max_length=SOURCE_MAX)
    schema.add_field("page", DataType.INT64)
    schema.add_field("section", DataType.VARCHAR, max_length=SHORT_MAX)
    schema.add_field("start_offset", DataType.INT64)
    schema.add_field("end_offset", DataType.INT64)
    schema.add_field("content_hash", DataType.VARCHAR, max_length=64)
    schema.add_field("token_count", DataType.INT64)
    schema.add_field(
        "tags", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=MAX_TAGS, max_length=128
    )
    schema.add_function(
        Function(
            name="text_bm25",
            function_type=FunctionType.BM25,
            input_field_names=["text"],
            output_field_names=["sparse"],
        )
    )
    return schema


def _hits(result: Any) -> list[Hit]:
    hits: list[Hit] = []
    for hit in result[0] if result else []:
        entity = dict(hit.get("entity", {}))
        hits.append(Hit(str(hit["id"]), float(hit["distance"]), entity))
    return hits


@dataclass(frozen=True)
class Searcher:
    """Searches of the chunk collections on the process's Milvus client; blocking, so they
    run on a worker thread."""

    client: Any
    timeout: float

    def _search(self, collection: str, **kwargs: Any) -> list[Hit]:
        with milvus_timer("search"):
            result = self.client.search(
                collection, output_fields=CHUNK_FIELDS, timeout=self.timeout, **kwargs
            )
        return _hits(result)

    def dense(
        self, collection: str, vector: list[float], limit: int, filter_expr: str = ""
    ) -> list[Hit]:
        return self._search(
            collection,
            data=[vector],
            anns_field="embedding",
            filter=filter_expr,
            limit=limit,
            search_params={"metric_type": "COSINE"},
        )

    def keyword(self, collection: str, text: str, limit: int, filter_expr: str = "") -> list[Hit]:
        return self._search(
            collection,
            data=[text],
            anns_field="sparse",
            filter=filter_expr,
            limit=limit,
            search_params={"metric_type": "BM25"},
        )

    def hybrid(
        self,
        collection: str,
        vector: list[float],
        text: str,
        limit: int,
        filter_expr: str = "",
        *,
        rrf_k: int = 60,
    ) -> list[Hit]:
        """Dense and BM25 fused by reciprocal rank fusion, inside Milvus."""
        from pymilvus import AnnSearchRequest, RRFRanker

        requests = [
            AnnSearchRequest(
                data=[vector],
                anns_field="embedding",
                param={"metric_type": "COSINE"},
                limit=limit,
                expr=filter_expr or None,
            ),
            AnnSearchRequest(
                data=[text],
                anns_field="sparse",
                param={"metric_type": "BM25"},
                limit=limit,
                expr=filter_expr or None,
            ),
        ]
        with milvus_timer("hybrid_search"):
            result = self.client.hybrid_search(
                collection,
                reqs=requests,
                ranker=RRFRanker(rrf_k),
                limit=limit,
                output_fields=CHUNK_FIELDS,
                timeout=self.timeout,
            )
        return _hits(result)


class ChunkStore:
    """Chunk collections over the process's Milvus client (``VectorStore``)."""

    def __init__(
        self, vectors: VectorStore, *, shards: int = 1, replicas: int = 1, timeout: float = 30.0
    ) -> None:
        self._vectors = vectors
        self._shards = shards
        self._replicas = replicas
        self._timeout = timeout
        self._locks: dict[str, asyncio.Lock] = {}

    def _lock(self, collection: str) -> asyncio.Lock:
        return self._locks.setdefault(collection, asyncio.Lock())

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        client = await self._vectors.client()
        with milvus_timer(method):
            return await asyncio.to_thread(getattr(client, method), *args, **kwargs)

    async def exists(self, collection: str) -> bool:
        return bool(await self._call("has_collection", collection, timeout=self._timeout))

    async def ensure_collection(self, collection: str, dimension: int) -> None:
        """Create the collection with its indexes if it is missing (idempotent)."""
        async with self._lock(collection):
            if await self.exists(collection):
                return
            client = await self._vectors.client()

            def create() -> None:
                index_params = client.prepare_index_params()
                # Milvus Lite 2.5.1 has no HNSW; AUTOINDEX stays flat in latency to 100k rows
                index_params.add_index("embedding", index_type="AUTOINDEX", metric_type="COSINE")
                index_params.add_index(
                    "sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25"
                )
                kwargs: dict[str, Any] = {}
                if not self._vectors.uri.endswith(".db"):
                    kwargs = {"num_shards": self._shards}
                client.create_collection(
                    collection,
                    schema=_schema(client, dimension),
                    index_params=index_params,
                    consistency_level="Strong",
                    timeout=self._timeout,
                    **kwargs,
                )

            await asyncio.to_thread(create)

    async def drop(self, collection: str) -> None:
        async with self._lock(collection):
            if await self.exists(collection):
                await self._call("drop_collection", collection, timeout=self._timeout)
        self._locks.pop(collection, None)

    async def upsert(self, collection: str, records: Sequence[ChunkRecord]) -> None:
        async with self._lock(collection):
            for start in range(0, len(records), UPSERT_BATCH):
                rows = [r.row() for r in records[start : start + UPSERT_BATCH]]
                await self._call("upsert", collection, rows, timeout=self._timeout)

    async def delete_document(self, collection: str, document_id: str) -> None:
        async with self._lock(collection):
            await self._call(
                "delete",
                collection,
                filter=f"document_id == {quote(document_id)}",
                timeout=self._timeout,
            )

    async def delete_document_tail(self, collection: str, document_id: str, keep: int) -> None:
        """Drop a document's chunks from index ``keep`` on (a re-run made fewer chunks)."""
        async with self._lock(collection):
            await self._call(
                "delete",
                collection,
                filter=f"document_id == {quote(document_id)} and chunk_index >= {int(keep)}",
                timeout=self._timeout,
            )

    async def flush(self, collection: str) -> None:
        # unflushed rows are scanned row by row by Milvus Lite: flush after each document
        await self._call("flush", collection, timeout=self._timeout)

    async def count(self, collection: str, filter_expr: str = "") -> int:
        rows = await self._call(
            "query",
            collection,
            filter=filter_expr,
            output_fields=["count(*)"],
            timeout=self._timeout,
        )
        return int(rows[0]["count(*)"]) if rows else 0

    async def query(
        self,
        collection: str,
        filter_expr: str,
        *,
        limit: int = 100,
        output_fields: Iterable[str] = CHUNK_FIELDS,
    ) -> list[dict[str, Any]]:
        rows = await self._call(
            "query",
            collection,
            filter=filter_expr,
            output_fields=list(output_fields),
            limit=limit,
            timeout=self._timeout,
        )
        return [dict(row) for row in rows]

    async def get(self, collection: str, chunk_ids: Sequence[str]) -> list[dict[str, Any]]:
        if not chunk_ids:
            return []
        listed = ", ".join(quote(c) for c in chunk_ids)
        return await self.query(collection, f"chunk_id in [{listed}]", limit=len(chunk_ids))

    async def searcher(self) -> Searcher:
        """The blocking searches, connecting first if needed."""
        return Searcher(await self._vectors.client(), self._timeout)

    def ready_searcher(self) -> Searcher | None:
        """The blocking searches if the client is connected already (no thread needed to get
        them), for code that is on a worker thread anyway (a search embeds its query and
        searches on one thread: see ``search.service``); None otherwise."""
        client = self._vectors.connected
        return None if client is None else Searcher(client, self._timeout)

    async def dense_search(
        self, collection: str, vector: list[float], limit: int, filter_expr: str = ""
    ) -> list[Hit]:
        searcher = await self.searcher()
        return await asyncio.to_thread(searcher.dense, collection, vector, limit, filter_expr)

    async def keyword_search(
        self, collection: str, text: str, limit: int, filter_expr: str = ""
    ) -> list[Hit]:
        searcher = await self.searcher()
        return await asyncio.to_thread(searcher.keyword, collection, text, limit, filter_expr)

    async def hybrid_search(
        self,
        collection: str,
        vector: list[float],
        text: str,
        limit: int,
        filter_expr: str = "",
    ) -> list[Hit]:
        """Dense and BM25 fused by reciprocal rank fusion, inside Milvus."""
        searcher = await self.searcher()
        return await asyncio.to_thread(
            searcher.hybrid, collection, vector, text, limit, filter_expr
        )

    async def copy(
        self,
        source: str,
        target: str,
        dimension: int,
        *,
        batch_size: int = 1000,
        on_progress: Callable[[int], Awaitable[None]] | None = None,
    ) -> int:
        """Copy every chunk (with its vector) of ``source`` into ``target``; the BM25 field is
        recomputed by the target's function. Returns the number of chunks copied."""
        await self.ensure_collection(target, dimension)
        client = await self._vectors.client()
        iterator = await asyncio.to_thread(
            client.query_iterator,
            source,
            batch_size=batch_size,
            filter="",
            output_fields=[*CHUNK_FIELDS, "embedding"],
            timeout=self._timeout,
        )
        copied = 0
        try:
            while True:
                batch = await asyncio.to_thread(iterator.next)
                if not batch:
                    break
                rows = [dict(row) for row in batch]
                async with self._lock(target):
                    await self._call("upsert", target, rows, timeout=self._timeout)
                copied += len(rows)
                if on_progress is not None:
                    await on_progress(copied)
        finally:
            await asyncio.to_thread(iterator.close)
        await self.flush(target)
        return copied
