"""The ingest job: original -> parse -> chunk -> embed -> index into the dataset's working
copy, then charge what it used.

Every effect is keyed so that a job run twice (a retry, a worker that died and was replaced)
ends as if it ran once: chunk ids come from (document, chunk index) and are upserted, chunks
past the new count are deleted, and the ledger calls carry the job's idempotency keys.
CPU work (parsing, chunking, embedding) runs in threads, never on the event loop.
"""

from __future__ import annotations

import asyncio
import math
from datetime import timedelta
from typing import Any

import structlog

from fltr_content.credits.charges import LedgerRefused
from fltr_content.datasets.models import Dataset
from fltr_content.documents import repository as documents
from fltr_content.documents.models import Document
from fltr_content.ingest.chunking import Chunk, chunk_document
from fltr_content.ingest.errors import IngestError
from fltr_content.ingest.parsers import parse_document
from fltr_content.jobs import repository as jobs
from fltr_content.jobs.models import ProcessingJob
from fltr_content.processing.context import JobContext
from fltr_content.vectors.chunks import NO_PAGE, ChunkRecord, chunk_id
from fltr_content.versions import service as versions
from fltr_shared.db import utcnow

logger = structlog.get_logger(__name__)

EMBED_BATCH = 32


class JobCancelled(Exception):
    """The curator cancelled the job; it stops at the next checkpoint."""


class LeaseLost(Exception):
    """Another worker owns the job now (this one was too slow to renew): stop quietly."""


def ingest_cost(token_count: int, per_1k: int, minimum: int) -> int:
    return max(minimum, math.ceil(token_count * per_1k / 1000))


async def _checkpoint(ctx: JobContext, job_id: str, **progress: Any) -> None:
    """Renew the lease, record progress, and stop if the job was cancelled."""
    lease = timedelta(seconds=ctx.settings.job_lease_seconds)
    async with ctx.db.transaction() as session:
        if not await jobs.renew(session, job_id, ctx.worker, utcnow(), lease, **progress):
            raise LeaseLost()
        job = await jobs.get(session, job_id)
        if job is not None and job.cancel_requested:
            raise JobCancelled()


async def _load(ctx: JobContext, job_id: str) -> tuple[ProcessingJob, Document, Dataset, str]:
    async with ctx.db.transaction() as session:
        job = await jobs.get(session, job_id)
        if job is None or job.document_id is None:
            raise IngestError("The job's document is gone.", code="document_deleted")
        document = await documents.get(session, job.document_id)
        dataset = await session.get(Dataset, job.dataset_id)
        if document is None or document.deleted_at is not None or dataset is None:
            raise IngestError("The document was deleted.", code="document_deleted")
        working = await versions.working_copy(session, dataset)
        document.status = "processing"
        document.updated_at = utcnow()
        if dataset.embedding_model is None:
            dataset.embedding_model = ctx.embedder.name
            dataset.embedding_dimension = ctx.embedder.dimension
        elif dataset.embedding_model != ctx.embedder.name:
            # vectors of two models in one collection would make every search wrong
            raise IngestError(
                f"The dataset's chunks were embedded with {dataset.embedding_model!r} and this "
                f"service embeds with {ctx.embedder.name!r}: re-embed the dataset first "
                "(POST /api/v1/datasets/{slug}/reembed).",
                code="embedding_model_mismatch",
            )
        await documents.refresh_dataset_counts(session, dataset.id, utcnow())
        return job, document, dataset, working.collection_name


def _records(
    document: Document, dataset: Dataset, chunks: list[Chunk], vectors: list[list[float]]
) -> list[ChunkRecord]:
    return [
        ChunkRecord(
            chunk_id=chunk_id(document.id, chunk.chunk_index),
            dataset_id=dataset.id,
            document_id=document.id,
            chunk_index=chunk.chunk_index,
            text=chunk.text,
            embedding=vector,
            title=document.title or document.filename,
            source=str(document.metadata_.get("source_url") or document.filename),
            page=chunk.page if chunk.page is not None else NO_PAGE,
            section=chunk.section or "",
            start_offset=chunk.start,
            end_offset=chunk.end,
            content_hash=chunk.content_hash,
            token_count=chunk.token_count,
        )
        for chunk, vector in zip(chunks, vectors, strict=True)
    ]


async def run_ingest(ctx: JobContext, job_id: str) -> None:
    """Run a claimed ingest job to its end state (succeeded, failed or cancelled)."""
    try:
        job, document, dataset, collection = await _load(ctx, job_id)
        data = await ctx.storage.get_bytes(document.storage_key)
        await _checkpoint(ctx, job_id, stage="parse")
        parsed = await asyncio.to_thread(parse_document, data, document.content_type)  # type: ignore[arg-type]
        await _checkpoint(ctx, job_id, stage="chunk")
        # a chunk longer than the model's window would be cut silently when embedded
        window = getattr(ctx.embedder, "max_tokens", None)
        size = min(dataset.chunk_size, window) if window else dataset.chunk_size
        chunks = await asyncio.to_thread(
            chunk_document,
            parsed,
            chunk_size=size,
            overlap=min(dataset.chunk_overlap, size // 2),
        )
        if not chunks:
            raise IngestError("The document has no text to index.", code="no_text")
        total = len(chunks)
        await _checkpoint(ctx, job_id, stage="embed", progress_done=0, progress_total=total)
        await ctx.chunks.ensure_collection(collection, ctx.embedder.dimension)
        document.title = parsed.title or document.filename
        for start in range(0, total, EMBED_BATCH):
            batch = chunks[start : start + EMBED_BATCH]
            vectors = await asyncio.to_thread(ctx.embedder.embed_documents, [c.text for c in batch])
            await ctx.chunks.upsert(collection, _records(document, dataset, batch, vectors))
            await _checkpoint(ctx, job_id, progress_done=start + len(batch))
        await _checkpoint(ctx, job_id, stage="index")
        # a re-run that made fewer chunks (new chunking settings) leaves no strays behind
        await ctx.chunks.delete_document_tail(collection, document.id, total)
        await ctx.chunks.flush(collection)
        tokens = sum(c.token_count for c in chunks)
        charged = await _charge(ctx, job, tokens)
        async with ctx.db.transaction() as session:
            row = await documents.get(session, document.id)
            job_row = await jobs.get(session, job_id)
            now = utcnow()
            if row is not None and row.deleted_at is None:
                row.status = "ready"
                row.title = document.title
                row.chunk_count = total
                row.token_count = tokens
                row.page_count = parsed.page_count
                row.error_code = row.error_message = None
                row.updated_at = now
            if job_row is not None:
                job_row.state = "succeeded"
                job_row.stage = "done"
                job_row.progress_done = job_row.progress_total = total
                job_row.credits_charged = charged
                job_row.finished_at = job_row.updated_at = now
                job_row.lease_expires_at = None
            await documents.refresh_dataset_counts(session, dataset.id, now)
        await _recount(ctx, dataset.id)
        logger.info("ingest_succeeded", job_id=job_id, chunks=total, tokens=tokens)
    except LeaseLost:
        logger.warning("ingest_lease_lost", job_id=job_id)
    except JobCancelled:
        await _finish_without_result(ctx, job_id, "cancelled", None, None)
    except IngestError as exc:
        await _finish_without_result(ctx, job_id, "failed", exc.code, exc.detail)


async def _recount(ctx: JobContext, dataset_id: str) -> None:
    """Recount once more after this job's commit: two jobs of a dataset finishing together
    were seen to leave a count one behind (each transaction counted before the other's status
    was visible), and a pass that starts after both commits always sees both."""
    async with ctx.db.transaction() as session:
        await documents.refresh_dataset_counts(session, dataset_id, utcnow())


async def _charge(ctx: JobContext, job: ProcessingJob, tokens: int) -> int:
    """Capture the real cost from the upload's hold (never more than held; the rest goes
    back). Idempotent per job: a re-run captures nothing twice."""
    if job.credit_hold_id is None:
        return 0
    cost = ingest_cost(
        tokens, ctx.settings.ingest_credits_per_1k_tokens, ctx.settings.ingest_min_credits
    )
    amount = min(cost, job.credits_held)
    try:
        if amount <= 0:
            await ctx.charges.release(job.credit_hold_id, f"ingest-release:{job.id}")
            return 0
        answer = await ctx.charges.capture(job.credit_hold_id, amount, f"ingest-capture:{job.id}")
    except LedgerRefused as exc:
        # the hold expired or was closed by an earlier attempt that did not record it
        logger.warning("ingest_capture_refused", job_id=job.id, code=exc.code)
        return 0
    return int(answer.get("captured", amount))


async def _finish_without_result(
    ctx: JobContext, job_id: str, state: str, code: str | None, message: str | None
) -> None:
    """Failed or cancelled: the document's chunks go, the hold is released, the dataset stays
    usable with its other documents."""
    async with ctx.db.transaction() as session:
        job = await jobs.get(session, job_id)
        if job is None:
            return
        dataset = await session.get(Dataset, job.dataset_id)
        document = await documents.get(session, job.document_id) if job.document_id else None
        collection = None
        if dataset is not None:
            collection = (await versions.working_copy(session, dataset)).collection_name
    if document is not None and collection is not None and await ctx.chunks.exists(collection):
        await ctx.chunks.delete_document(collection, document.id)
    if job.credit_hold_id is not None:
        try:
            await ctx.charges.release(job.credit_hold_id, f"ingest-release:{job.id}")
        except LedgerRefused as exc:
            logger.warning("ingest_release_refused", job_id=job_id, code=exc.code)
    async with ctx.db.transaction() as session:
        now = utcnow()
        job = await jobs.get(session, job_id)
        if job is None:
            return
        job.state = state
        job.error_code = code
        job.error_message = message
        job.finished_at = job.updated_at = now
        job.lease_expires_at = None
        if job.document_id is not None:
            row = await documents.get(session, job.document_id)
            if row is not None and row.deleted_at is None:
                row.status = "failed" if state == "failed" else "cancelled"
                row.error_code = code
                row.error_message = message
                row.updated_at = now
        await documents.refresh_dataset_counts(session, job.dataset_id, now)
    await _recount(ctx, job.dataset_id)
    logger.info("ingest_ended", job_id=job_id, state=state, code=code)
