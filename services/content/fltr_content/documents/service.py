"""Uploads and the documents of a dataset.

An upload is checked whole before anything is kept: every file's type is decided from its
bytes, every file's processing is paid for by a credit hold (estimated from its size; the
job captures the real cost, never more), and only then are the originals stored and the
documents and jobs written, in the request's transaction. Jobs start after the commit.
A file whose bytes are already a live document of the dataset is recognized, not re-processed.

Never commits.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from pathlib import Path

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content.callers.resolver import Caller
from fltr_content.credits.charges import Charges, Payer
from fltr_content.datasets import service as catalog
from fltr_content.datasets.directory import OwnerDirectory
from fltr_content.datasets.models import Dataset
from fltr_content.documents import repository
from fltr_content.documents.models import Document, new_document_id
from fltr_content.documents.schemas import DocumentOut, UploadedDocument
from fltr_content.documents.upload_stream import ReceivedFile
from fltr_content.ingest.errors import IngestError
from fltr_content.ingest.sniff import sniff
from fltr_content.jobs.models import ProcessingJob, new_job_id
from fltr_content.plans.limits import PlanLimits
from fltr_content.settings import ContentSettings
from fltr_content.storage.backends import Storage, document_key
from fltr_content.vectors.chunks import ChunkStore
from fltr_content.versions import service as versions
from fltr_shared.db import utcnow
from fltr_shared.errors import AppError, NotFound

logger = structlog.get_logger(__name__)

HOLD_TTL_SECONDS = 24 * 3600  # a big document may wait behind others; captured when done


def _not_found() -> NotFound:
    return NotFound("No such dataset.", code="dataset_not_found")


class UnusableFile(AppError):
    """One file of an upload cannot be processed: the whole upload is refused, naming it."""

    def __init__(self, filename: str, error: IngestError) -> None:
        super().__init__(f"{filename}: {error.detail}", code=error.code)
        self.status_code = error.status_code  # type: ignore[misc]
        self.filename = filename

    def body(self) -> dict[str, object]:
        return {**super().body(), "filename": self.filename}


async def readable_dataset(
    session: AsyncSession,
    caller: Caller | None,
    ref: str,
    directory: OwnerDirectory | None = None,
) -> Dataset:
    """The catalog's rule (team members included): 404 for what the caller may not see."""
    slug, _ = versions.split_ref(ref)
    return await catalog.readable(session, caller, slug, directory)


async def editable_dataset(
    session: AsyncSession, caller: Caller, ref: str, directory: OwnerDirectory | None = None
) -> Dataset:
    """404 when the caller may not see it, 403 when it sees but may not change it."""
    slug, _ = versions.split_ref(ref)
    return await catalog.editable(session, caller, slug, directory)


def hold_estimate(size_bytes: int, settings: ContentSettings) -> int:
    if settings.ingest_credits_per_1k_tokens == 0:
        return 0
    return max(
        settings.ingest_min_credits, math.ceil(size_bytes / settings.ingest_hold_bytes_per_credit)
    )


@dataclass
class _Accepted:
    received: ReceivedFile
    content_type: str
    document_id: str
    job_id: str
    hold_id: str | None = None
    held: int = 0


async def _detect(received: ReceivedFile) -> str:
    data = await asyncio.to_thread(received.path.read_bytes)
    try:
        return str(sniff(data, received.filename))
    except IngestError as exc:
        raise UnusableFile(received.filename, exc) from None


async def upload(
    session: AsyncSession,
    caller: Caller,
    dataset: Dataset,
    received: list[ReceivedFile],
    *,
    settings: ContentSettings,
    storage: Storage,
    charges: Charges,
    source_url: str | None = None,
    source_id: str | None = None,
    limits: PlanLimits | None = None,
) -> list[UploadedDocument]:
    types = [await _detect(r) for r in received]
    existing = await repository.live_by_hash(session, dataset.id, [r.sha256 for r in received])
    answers: list[UploadedDocument] = []
    accepted: list[_Accepted] = []
    seen: dict[str, str] = {}
    for item, content_type in zip(received, types, strict=True):
        known = existing.get(item.sha256)
        if known is not None or item.sha256 in seen:
            doc_id = known.id if known is not None else seen[item.sha256]
            answers.append(
                UploadedDocument(
                    id=doc_id,
                    job_id=None,
                    filename=item.filename,
                    content_type=content_type,
                    size_bytes=item.size,
                    status=known.status if known is not None else "queued",
                    duplicate=True,
                )
            )
            continue
        entry = _Accepted(item, content_type, new_document_id(), new_job_id())
        seen[item.sha256] = entry.document_id
        accepted.append(entry)

    if limits is not None and accepted:
        await limits.check_new_documents(
            session,
            dataset.owner_type,
            dataset.owner_id,
            len(accepted),
            sum(entry.received.size for entry in accepted),
        )
    payer = Payer.of(caller)
    try:
        for entry in accepted:
            amount = hold_estimate(entry.received.size, settings)
            if amount == 0:
                continue
            hold = await charges.hold(
                payer,
                amount,
                f"ingest-hold:{entry.job_id}",
                operation="document_processing",
                resource_id=entry.document_id,
                expires_in_seconds=HOLD_TTL_SECONDS,
            )
            entry.hold_id, entry.held = str(hold["hold_id"]), amount
        for entry in accepted:
            await storage.put_file(document_key(dataset.id, entry.document_id), entry.received.path)
    except BaseException:
        await _undo(accepted, dataset, storage, charges)
        raise

    now = utcnow()
    rows: list[Document | ProcessingJob] = []
    for entry in accepted:
        rows.append(
            Document(
                id=entry.document_id,
                dataset_id=dataset.id,
                filename=entry.received.filename,
                title=entry.received.filename,
                content_type=entry.content_type,
                size_bytes=entry.received.size,
                content_hash=entry.received.sha256,
                storage_key=document_key(dataset.id, entry.document_id),
                status="queued",
                source_id=source_id,
                metadata_={"source_url": source_url} if source_url else {},
                uploaded_by=caller.user_id,
                created_at=now,
                updated_at=now,
            )
        )
    await repository.add_all(session, rows)
    jobs: list[Document | ProcessingJob] = [
        ProcessingJob(
            id=entry.job_id,
            kind="ingest",
            dataset_id=dataset.id,
            document_id=entry.document_id,
            state="queued",
            stage="queued",
            payer_user_id=None if caller.api_key_id else caller.user_id,
            payer_api_key_id=caller.api_key_id,
            credit_hold_id=entry.hold_id,
            credits_held=entry.held,
            params={},
            created_by=caller.user_id,
            created_at=now,
            updated_at=now,
        )
        for entry in accepted
    ]
    await repository.add_all(session, jobs)
    await repository.refresh_dataset_counts(session, dataset.id, now)
    for entry in accepted:
        answers.append(
            UploadedDocument(
                id=entry.document_id,
                job_id=entry.job_id,
                filename=entry.received.filename,
                content_type=entry.content_type,
                size_bytes=entry.received.size,
                status="queued",
                duplicate=False,
            )
        )
    return answers


async def _undo(
    accepted: list[_Accepted], dataset: Dataset, storage: Storage, charges: Charges
) -> None:
    """An upload refused halfway gives back its holds and removes what it stored."""
    for entry in accepted:
        if entry.hold_id is not None:
            try:
                await charges.release(entry.hold_id, f"ingest-release:{entry.job_id}")
            except Exception as exc:  # the sweeper releases expired holds anyway
                logger.warning("upload_undo_release_failed", hold_id=entry.hold_id, error=repr(exc))
        try:
            await storage.delete(document_key(dataset.id, entry.document_id))
        except Exception as exc:
            logger.warning("upload_undo_delete_failed", error=repr(exc))


async def list_documents(
    session: AsyncSession,
    caller: Caller | None,
    ref: str,
    *,
    limit: int,
    offset: int,
    status: str | None,
    directory: OwnerDirectory | None = None,
) -> tuple[list[DocumentOut], int]:
    dataset = await readable_dataset(session, caller, ref, directory)
    _, label = versions.split_ref(ref)
    version_id = None
    if label is not None and label not in versions.WORKING_COPY_ALIASES:
        version_id = (await versions.for_read(session, dataset, label)).id
    rows, total = await repository.page(
        session, dataset.id, limit=limit, offset=offset, status=status, version_id=version_id
    )
    return [DocumentOut.model_validate(row) for row in rows], total


async def get_document(
    session: AsyncSession,
    caller: Caller | None,
    ref: str,
    document_id: str,
    directory: OwnerDirectory | None = None,
) -> DocumentOut:
    dataset = await readable_dataset(session, caller, ref, directory)
    _, label = versions.split_ref(ref)
    missing = NotFound("No such document in this dataset.", code="document_not_found")
    if label is not None and label not in versions.WORKING_COPY_ALIASES:
        version = await versions.for_read(session, dataset, label)
        document = await repository.get(session, document_id)
        if document is None or not await repository.in_version(session, version.id, document_id):
            raise missing
        return DocumentOut.model_validate(document)
    found = await repository.get_live(session, dataset.id, document_id)
    if found is None:
        raise missing
    return DocumentOut.model_validate(found)


async def delete_document(
    session: AsyncSession,
    caller: Caller,
    ref: str,
    document_id: str,
    *,
    chunks: ChunkStore,
    storage: Storage,
    directory: OwnerDirectory | None = None,
) -> None:
    """Remove a document from the working copy: its chunks go now; published versions that
    froze it keep theirs (and the row, soft-deleted, for their citations)."""
    dataset = await editable_dataset(session, caller, ref, directory)
    document = await repository.get_live(session, dataset.id, document_id)
    if document is None:
        raise NotFound("No such document in this dataset.", code="document_not_found")
    working = await versions.working_copy(session, dataset)
    if await chunks.exists(working.collection_name):
        await chunks.delete_document(working.collection_name, document.id)
    now = utcnow()
    if await repository.cited_by_a_version(session, document.id):
        document.deleted_at = now
        document.updated_at = now
    else:
        await repository.hard_delete(session, document.id)
        await storage.delete(document.storage_key)
    await repository.refresh_dataset_counts(session, dataset.id, now)


def cleanup(received: list[ReceivedFile]) -> None:
    for item in received:
        Path(item.path).unlink(missing_ok=True)
