"""Search a dataset version's chunks (dense, BM25 keyword, or both fused by reciprocal rank
fusion inside Milvus), add neighbouring chunks, and charge the call.

Billing: each search costs ``SEARCH_PRICE_CREDITS`` (default 1) per dataset searched, one
ledger deduction under the key ``search:<Idempotency-Key header, else the request id>:<digest
of what was asked>`` (``charge_key``), so a retried request is charged once and a key reused
for another search is another charge. When the payer has plenty of credits the answer goes
out first and the deduction follows a moment later in a batch (``credits.deferred``);
otherwise it is taken before answering. Order: the query's embedding starts at once, on a
worker thread; the datasets are authorized meanwhile; then the charge starts and the thread
searches the dataset it is told to while the charge is taken. A refused charge (402
``insufficient_credits`` / ``spend_cap_reached``) returns no results; nothing is charged for
a request refused before the search (bad input, 401/403/404, rate limit). A search that fails
after the charge was taken keeps it: retry with the same ``Idempotency-Key`` and the retry is
not charged again.

Cross-dataset merging (``search_many``): dense scores are cosine similarities of one model and
hybrid scores are RRF scores with the same k, so both are compared as they are; BM25 scores
depend on each collection's statistics, so in keyword mode each dataset's scores are divided
by its best score (into (0, 1]) before the merge.

Never commits.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import hashlib
import json
import re
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content.auth_client import AuthServiceClient
from fltr_content.callers.resolver import Caller
from fltr_content.credits.charges import Charges, Payer
from fltr_content.credits.deferred import DeferredCharges
from fltr_content.datasets.directory import OwnerDirectory
from fltr_content.embeddings.base import Embedder
from fltr_content.plans.limits import PlanLimits
from fltr_content.search import access
from fltr_content.search.access import Target, TargetCache
from fltr_content.search.filters import compile_filters
from fltr_content.search.schemas import (
    ChunkOut,
    Citation,
    MultiSearchRequest,
    NeighborChunk,
    SearchHit,
    SearchOptions,
    SearchResponse,
)
from fltr_content.usage.recorder import UsageDraft
from fltr_content.vectors.chunks import NO_PAGE, ChunkStore, Hit, Searcher
from fltr_content.vectors.filters import int_literal, text_literal
from fltr_shared.errors import BadRequest, NotFound

_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,200}$")
NEIGHBOR_FIELDS = ["chunk_id", "document_id", "chunk_index", "text", "start_offset", "end_offset"]
# Milvus' "collection not found": a version nobody uploaded to yet has no collection
_COLLECTION_NOT_FOUND = 100


class Reranker(Protocol):
    """A pluggable second pass over the hits (``app.state.reranker``); none ships enabled."""

    async def rerank(self, query: str, hits: list[SearchHit]) -> list[SearchHit]: ...


@dataclass(frozen=True)
class Engine:
    """The parts a search uses, taken from the app's state."""

    chunks: ChunkStore
    embedder: Embedder
    charges: Charges
    auth: AuthServiceClient
    price: int
    reranker: Reranker | None
    targets: TargetCache | None = None
    limits: PlanLimits | None = None
    # answer first, charge a moment later when safe (credits.deferred); None: charge first
    deferred: DeferredCharges | None = None


@dataclass(frozen=True)
class Outcome:
    response: SearchResponse
    targets: list[Target]
    credits_each: int
    tokens: int


def idempotency_key(header: str | None, request_id: str | None) -> str:
    """The ledger key of this call: the client's ``Idempotency-Key`` or the request id."""
    if header is not None:
        if not _IDEMPOTENCY_KEY.match(header):
            raise BadRequest(
                "Idempotency-Key must be 1-200 characters of A-Z a-z 0-9 . _ : -",
                code="invalid_idempotency_key",
            )
        return f"search:{header}"
    return f"search:{request_id or time.time_ns()}"


# how long a query's worker thread waits to be told what to search, at most (normally the
# datasets are authorized before the embedding is done: the thread does not wait at all)
PLAN_TIMEOUT_SECONDS = 60.0
Step = Callable[[list[float]], list[Hit]]


class QueryWork:
    """A query's embedding, on a worker thread from the start of the request (it overlaps
    the authorization), and then, once the loop says which single dataset to search, that
    Milvus search on the same thread. Two thread hops become one: each hop waits for the
    interpreter lock and a wake-up, ~0.3-0.4 ms apiece on these two shared cores.

    The thread waits for ``search_here`` or ``no_search`` after embedding; every path that
    started the work says one or the other (``run`` and ``hits_and_charge`` do, on errors
    too), and the wait gives up after ``PLAN_TIMEOUT_SECONDS`` regardless.
    """

    def __init__(self, embedder: Embedder, query: str) -> None:
        self._plan: concurrent.futures.Future[Step | None] = concurrent.futures.Future()
        loop = asyncio.get_running_loop()
        # in the request's context, as asyncio.to_thread runs it (log lines keep the request id)
        run = functools.partial(contextvars.copy_context().run, self._work, embedder, query)
        self._done = loop.run_in_executor(None, run)

    def _work(
        self, embedder: Embedder, query: str
    ) -> tuple[list[float], list[Hit] | Exception | None]:
        vector = embedder.embed_query(query)
        try:
            step = self._plan.result(timeout=PLAN_TIMEOUT_SECONDS)
        except (concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
            step = None
        if step is None:
            return vector, None
        try:
            return vector, step(vector)
        except Exception as exc:  # handed to the loop, which knows what is recoverable
            return vector, exc

    def search_here(self, step: Step) -> None:
        if not self._plan.done():
            self._plan.set_result(step)

    def no_search(self) -> None:
        if not self._plan.done():
            self._plan.set_result(None)

    async def result(self) -> tuple[list[float], list[Hit] | Exception | None]:
        """The vector, and the search's hits (or its error) if it was run here."""
        return await self._done


def start_query(embedder: Embedder, options: SearchOptions) -> QueryWork | None:
    """Start embedding the query now; None in keyword mode (nothing to embed)."""
    if options.mode == "keyword":
        return None
    return QueryWork(embedder, options.query)


def missing_collection(exc: Exception) -> bool:
    return getattr(exc, "code", None) == _COLLECTION_NOT_FOUND or "collection not found" in str(exc)


def _citation(fields: dict[str, Any]) -> Citation:
    page = int(fields.get("page", NO_PAGE))
    return Citation(
        document_id=str(fields["document_id"]),
        title=str(fields.get("title", "")),
        source=str(fields.get("source", "")),
        page=None if page == NO_PAGE else page,
        section=str(fields.get("section", "")),
        start_offset=int(fields.get("start_offset", 0)),
        end_offset=int(fields.get("end_offset", 0)),
    )


def _hit(target: Target, hit: Hit) -> SearchHit:
    fields = hit.fields
    return SearchHit(
        chunk_id=hit.chunk_id,
        document_id=str(fields["document_id"]),
        chunk_index=int(fields["chunk_index"]),
        text=str(fields["text"]),
        score=hit.score,
        citation=_citation(fields),
        tags=list(fields.get("tags") or []),
        token_count=int(fields.get("token_count", 0)),
        dataset=target.slug,
        version=target.version,
    )


def _search(
    searcher: Searcher, target: Target, options: SearchOptions, vector: list[float] | None
) -> list[Hit]:
    """One dataset version's raw hits, blocking (on a worker thread); raises what Milvus
    raises."""
    expr = compile_filters(target.dataset_id, options.filters)
    if options.mode == "keyword":
        return searcher.keyword(target.collection, options.query, options.top_k, expr)
    assert vector is not None
    if options.mode == "dense":
        return searcher.dense(target.collection, vector, options.top_k, expr)
    return searcher.hybrid(target.collection, vector, options.query, options.top_k, expr)


async def _raw_hits(
    chunks: ChunkStore,
    target: Target,
    options: SearchOptions,
    vector: list[float] | None,
    done: list[Hit] | Exception | None = None,
) -> list[Hit]:
    """The raw hits, from ``done`` (the search already run on the query's thread) or a
    search now; a missing collection is no hits, and a query the BM25 analyzer empties is
    dense search alone in hybrid mode."""
    try:
        if isinstance(done, Exception):
            raise done
        if done is not None:
            return done
        searcher = await chunks.searcher()
        return await asyncio.to_thread(_search, searcher, target, options, vector)
    except Exception as exc:
        if missing_collection(exc):
            return []
        if no_keyword_terms(exc):
            # the analyzer left nothing of the query (a lone digit, punctuation): BM25 has no
            # terms to score, so keyword search finds nothing and hybrid is dense alone
            if options.mode == "keyword" or vector is None:
                return []
            expr = compile_filters(target.dataset_id, options.filters)
            return await chunks.dense_search(target.collection, vector, options.top_k, expr)
        raise


def no_keyword_terms(exc: Exception) -> bool:
    return "Invalid sparse row" in str(exc)


async def neighbors_of(
    chunks: ChunkStore, target: Target, anchors: Sequence[tuple[str, int]], n: int
) -> dict[tuple[str, int], tuple[list[NeighborChunk], list[NeighborChunk]]]:
    """For each (document, chunk index): up to ``n`` chunks before and after, in order; one
    Milvus query for all of them."""
    if n <= 0 or not anchors:
        return {}
    windows = [
        f"(document_id == {text_literal(doc)} and chunk_index >= {int_literal(index - n)} "
        f"and chunk_index <= {int_literal(index + n)})"
        for doc, index in dict.fromkeys(anchors)
    ]
    expr = f"dataset_id == {text_literal(target.dataset_id)} and ({' or '.join(windows)})"
    try:
        rows = await chunks.query(
            target.collection,
            expr,
            limit=len(windows) * (2 * n + 1),
            output_fields=NEIGHBOR_FIELDS,
        )
    except Exception as exc:
        if missing_collection(exc):
            return {}
        raise
    by_document: dict[str, dict[int, NeighborChunk]] = defaultdict(dict)
    for row in rows:
        chunk = NeighborChunk(
            chunk_id=str(row["chunk_id"]),
            chunk_index=int(row["chunk_index"]),
            text=str(row["text"]),
            start_offset=int(row["start_offset"]),
            end_offset=int(row["end_offset"]),
        )
        by_document[str(row["document_id"])][chunk.chunk_index] = chunk
    found: dict[tuple[str, int], tuple[list[NeighborChunk], list[NeighborChunk]]] = {}
    for doc, index in anchors:
        near = by_document.get(doc, {})
        before = [near[i] for i in range(index - n, index) if i in near]
        after = [near[i] for i in range(index + 1, index + n + 1) if i in near]
        found[(doc, index)] = (before, after)
    return found


async def _with_neighbors(
    chunks: ChunkStore, target: Target, hits: list[SearchHit], n: int
) -> list[SearchHit]:
    if n <= 0:
        return hits
    around = await neighbors_of(chunks, target, [(h.document_id, h.chunk_index) for h in hits], n)
    out = []
    for hit in hits:
        before, after = around.get((hit.document_id, hit.chunk_index), ([], []))
        out.append(hit.model_copy(update={"before": before, "after": after}))
    return out


async def search_target(
    chunks: ChunkStore,
    target: Target,
    options: SearchOptions,
    vector: list[float] | None,
    reranker: Reranker | None = None,
    done: list[Hit] | Exception | None = None,
) -> list[SearchHit]:
    """The hits of one dataset version, best first, threshold and rerank applied."""
    raw = await _raw_hits(chunks, target, options, vector, done)
    hits = [_hit(target, h) for h in raw]
    if options.score_threshold is not None:
        hits = [h for h in hits if h.score >= options.score_threshold]
    if options.rerank:
        if reranker is None:
            raise BadRequest("No reranker is configured on this server.", code="rerank_unavailable")
        hits = (await reranker.rerank(options.query, hits))[: options.top_k]
    return await _with_neighbors(chunks, target, hits, options.neighbors)


def _normalised(hits: list[SearchHit]) -> list[SearchHit]:
    best = max((h.score for h in hits), default=0.0)
    if best <= 0:
        return hits
    return [h.model_copy(update={"score": h.score / best}) for h in hits]


async def search_many(
    chunks: ChunkStore,
    targets: Sequence[Target],
    options: SearchOptions,
    vector: list[float] | None,
    reranker: Reranker | None = None,
) -> list[SearchHit]:
    per_target = await asyncio.gather(
        *(search_target(chunks, t, options, vector, reranker) for t in targets)
    )
    if options.mode == "keyword":
        per_target = [_normalised(hits) for hits in per_target]
    merged = [hit for hits in per_target for hit in hits]
    merged.sort(key=lambda h: h.score, reverse=True)
    return merged[: options.top_k]


def _resource_id(targets: Sequence[Target]) -> str:
    if len(targets) == 1:
        return targets[0].dataset_id
    joined = ",".join(sorted(t.dataset_id for t in targets))
    return "datasets:" + hashlib.sha256(joined.encode()).hexdigest()[:32]


def charge_key(key: str, targets: Sequence[Target], options: SearchOptions) -> str:
    """The ledger key of one search: the caller's key (``idempotency_key``) and a digest of
    what was asked. A retry of the same request is the same charge; the same key sent with
    another query or dataset is another (the ledger's request check sees only the amount and
    the datasets, so without the digest one reused key would make every later search free)."""
    asked = json.dumps(
        [[[t.dataset_id, t.version_id] for t in targets], options.model_dump(mode="json")],
        sort_keys=True,
        separators=(",", ":"),
    )
    digest = hashlib.sha256(asked.encode()).hexdigest()[:24]
    if len(key) > 200:  # the ledger takes 255; a long key (an MCP request id) is hashed
        key = key[:150] + ":" + hashlib.sha256(key.encode()).hexdigest()[:40]
    return f"{key}:{digest}"


async def charge(
    engine: Engine, caller: Caller, targets: Sequence[Target], options: SearchOptions, key: str
) -> int:
    """Take the price per dataset searched (now, or queued when it is safe to answer first);
    raises ``LedgerRefused`` (402/409) when the ledger refuses it before the answer."""
    amount = engine.price * len(targets)
    if amount <= 0:
        return 0
    payer = Payer.of(caller)
    ledger_key = charge_key(key, targets, options)
    if engine.deferred is not None:
        # a key's spend cap is the ledger's to check: those are charged first
        await engine.deferred.charge(
            payer,
            amount,
            ledger_key,
            operation="search",
            resource_id=_resource_id(targets),
            may_defer=caller.spend_cap is None,
        )
    else:
        await engine.charges.deduct(
            payer, amount, ledger_key, operation="search", resource_id=_resource_id(targets)
        )
    return amount


def response(
    hits: list[SearchHit],
    options: SearchOptions,
    targets: Sequence[Target],
    credits: int,
    started: float,
) -> SearchResponse:
    return SearchResponse(
        results=hits,
        query=options.query,
        mode=options.mode,
        top_k=options.top_k,
        datasets=[t.ref for t in targets],
        credits_charged=credits,
        took_ms=round((time.perf_counter() - started) * 1000),
    )


def tokens_of(hits: Sequence[SearchHit]) -> int:
    """Tokens of the chunks served (as the pipeline counted them), for the usage rows."""
    return sum(h.token_count for h in hits)


async def read_chunk(
    session: AsyncSession,
    engine: Engine,
    caller: Caller,
    ref: str,
    chunk_id: str,
    neighbors: int,
    directory: OwnerDirectory | None,
    draft: UsageDraft | None = None,
) -> ChunkOut:
    target = await access.resolve(session, caller, ref, engine.auth, directory, engine.targets)
    if draft is not None:
        draft.dataset_ids = [target.dataset_id]
    chunk = await get_chunk(engine.chunks, target, chunk_id, neighbors)
    if draft is not None:
        draft.tokens = chunk.token_count
    return chunk


async def get_chunk(chunks: ChunkStore, target: Target, chunk_id: str, neighbors: int) -> ChunkOut:
    missing = NotFound("No such chunk in this dataset version.", code="chunk_not_found")
    expr = (
        f"dataset_id == {text_literal(target.dataset_id)} and chunk_id == {text_literal(chunk_id)}"
    )
    try:
        rows = await chunks.query(target.collection, expr, limit=1)
    except Exception as exc:
        if missing_collection(exc):
            raise missing from None
        raise
    if not rows:
        raise missing
    row = rows[0]
    out = ChunkOut(
        chunk_id=str(row["chunk_id"]),
        document_id=str(row["document_id"]),
        chunk_index=int(row["chunk_index"]),
        text=str(row["text"]),
        token_count=int(row.get("token_count", 0)),
        tags=list(row.get("tags") or []),
        citation=_citation(row),
        dataset=target.slug,
        version=target.version,
    )
    if neighbors > 0:
        around = await neighbors_of(chunks, target, [(out.document_id, out.chunk_index)], neighbors)
        before, after = around.get((out.document_id, out.chunk_index), ([], []))
        out = out.model_copy(update={"before": before, "after": after})
    return out


async def hits_and_charge(
    engine: Engine,
    caller: Caller,
    targets: Sequence[Target],
    options: SearchOptions,
    work: QueryWork | None,
    key: str,
) -> tuple[list[SearchHit], int]:
    """Finish the query embedding and search while the ledger takes the charge (when it is
    taken before answering, its round trip is the slowest step of a search): a refused
    charge raises (402) and no hits are returned; a search that fails leaves the charge
    taken, and a retry with the same idempotency key is not charged again. One dataset is
    searched on the query's own thread when the Milvus client is connected (then telling
    the thread needs no other thread of the pool, which may all be waiting like it)."""
    charging = asyncio.create_task(charge(engine, caller, targets, options, key))
    try:
        vector: list[float] | None = None
        done: list[Hit] | Exception | None = None
        if work is not None:
            searcher = engine.chunks.ready_searcher() if len(targets) == 1 else None
            if searcher is not None:
                target = targets[0]
                work.search_here(lambda v: _search(searcher, target, options, v))
            else:
                work.no_search()
            vector, done = await work.result()
        if len(targets) == 1:
            hits = await search_target(
                engine.chunks, targets[0], options, vector, engine.reranker, done
            )
        else:
            hits = await search_many(engine.chunks, targets, options, vector, engine.reranker)
    except BaseException:
        if work is not None:
            work.no_search()
        await asyncio.gather(charging, return_exceptions=True)
        raise
    return hits, await charging


def check_options(engine: Engine, options: SearchOptions) -> None:
    """What can be refused before anything runs or is charged."""
    if options.rerank and engine.reranker is None:
        raise BadRequest("No reranker is configured on this server.", code="rerank_unavailable")


async def run(
    session: AsyncSession,
    engine: Engine,
    caller: Caller,
    refs: Sequence[str],
    options: SearchOptions,
    key: str,
    directory: OwnerDirectory | None,
    draft: UsageDraft | None = None,
) -> Outcome:
    """Authorize every dataset (while the query is embedded), search them and charge, answer;
    ``draft`` (the call's usage record) learns the datasets, credits and tokens as known."""
    started = time.perf_counter()
    check_options(engine, options)
    work = start_query(engine.embedder, options)
    try:
        targets = [
            await access.resolve(session, caller, ref, engine.auth, directory, engine.targets)
            for ref in refs
        ]
        if engine.limits is not None:
            await engine.limits.check_new_search(session, caller.owner_type, caller.user_id)
    except BaseException:
        if work is not None:
            work.no_search()
        raise
    if draft is not None:
        draft.dataset_ids = [t.dataset_id for t in targets]
    hits, credits = await hits_and_charge(engine, caller, targets, options, work, key)
    outcome = Outcome(
        response=response(hits, options, targets, credits, started),
        targets=targets,
        credits_each=engine.price if credits else 0,
        tokens=tokens_of(hits),
    )
    if draft is not None:
        draft.credits_each = outcome.credits_each
        draft.tokens = outcome.tokens
    return outcome


def refs_of(body: MultiSearchRequest) -> list[str]:
    return list(body.datasets)
