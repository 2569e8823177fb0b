"""All SQL of the documents domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content.datasets.models import Dataset
from fltr_content.documents.models import Document
from fltr_content.jobs.models import ProcessingJob
from fltr_content.versions.models import VersionDocument


async def live_by_hash(
    session: AsyncSession, dataset_id: str, hashes: Sequence[str]
) -> dict[str, Document]:
    if not hashes:
        return {}
    rows = await session.scalars(
        select(Document).where(
            Document.dataset_id == dataset_id,
            Document.content_hash.in_(list(hashes)),
            Document.deleted_at.is_(None),
        )
    )
    return {row.content_hash: row for row in rows}


async def get_live(session: AsyncSession, dataset_id: str, document_id: str) -> Document | None:
    return await session.scalar(
        select(Document).where(
            Document.id == document_id,
            Document.dataset_id == dataset_id,
            Document.deleted_at.is_(None),
        )
    )


async def get(session: AsyncSession, document_id: str) -> Document | None:
    return await session.get(Document, document_id)


async def add_all(session: AsyncSession, rows: Sequence[Document | ProcessingJob]) -> None:
    session.add_all(rows)
    await session.flush()


async def page(
    session: AsyncSession,
    dataset_id: str,
    *,
    limit: int,
    offset: int,
    status: str | None,
    version_id: str | None,
) -> tuple[list[Document], int]:
    """A dataset's live documents, or those a published version froze, newest first."""
    query = select(Document).where(Document.dataset_id == dataset_id)
    if version_id is not None:
        query = query.where(
            exists().where(
                VersionDocument.version_id == version_id,
                VersionDocument.document_id == Document.id,
            )
        )
    else:
        query = query.where(Document.deleted_at.is_(None))
    if status is not None:
        query = query.where(Document.status == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(Document.created_at.desc(), Document.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), int(total or 0)


async def in_version(session: AsyncSession, version_id: str, document_id: str) -> bool:
    found = await session.scalar(
        select(VersionDocument.document_id).where(
            VersionDocument.version_id == version_id, VersionDocument.document_id == document_id
        )
    )
    return found is not None


async def cited_by_a_version(session: AsyncSession, document_id: str) -> bool:
    found = await session.scalar(
        select(VersionDocument.version_id).where(VersionDocument.document_id == document_id)
    )
    return found is not None


async def hard_delete(session: AsyncSession, document_id: str) -> None:
    await session.execute(delete(Document).where(Document.id == document_id))


async def refresh_dataset_counts(session: AsyncSession, dataset_id: str, now: datetime) -> None:
    """Recount from the rows (never +1/-1 drift), and derive the status from the documents:
    processing while any is queued or processing, ready when at least one succeeded and none
    is pending, failed when none succeeded, uploading when there are none."""
    live = (Document.dataset_id == dataset_id) & Document.deleted_at.is_(None)
    counts = dict(
        (
            await session.execute(
                select(Document.status, func.count()).where(live).group_by(Document.status)
            )
        ).all()
    )
    ready = int(counts.get("ready", 0))
    pending = int(counts.get("queued", 0)) + int(counts.get("processing", 0))
    total = sum(int(v) for v in counts.values())
    if pending:
        status = "processing"
    elif ready:
        status = "ready"
    elif total:
        status = "failed"
    else:
        status = "uploading"
    await session.execute(
        update(Dataset)
        .where(Dataset.id == dataset_id)
        .values(document_count=ready, status=status, updated_at=now)
    )
