"""The end of a soft delete: after ``DATASET_DELETE_GRACE_DAYS`` a deleted dataset's Milvus
collections (every version's) are dropped, then its rows go (documents, versions, jobs,
reviews, tag links, sources: by cascade or explicitly; the audit log stays).

Collections go first: if the purge dies between the two, the rows are still there and the
next run drops the (already missing) collections again and then deletes the rows. Each
dataset is purged in its own savepoint, so one failure does not stop the rest.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content import audit
from fltr_content.datasets.models import Dataset
from fltr_content.documents.models import Document
from fltr_content.jobs.models import ProcessingJob
from fltr_content.reviews.models import Review
from fltr_content.sources.models import DatasetSource
from fltr_content.tags.models import DatasetTag
from fltr_content.vectors.chunks import ChunkStore
from fltr_content.versions.models import DatasetVersion, VersionDocument

log = structlog.get_logger(__name__)

DEFAULT_GRACE_DAYS = 7
BATCH = 100


async def expired_ids(session: AsyncSession, cutoff: datetime, limit: int) -> list[str]:
    rows = await session.scalars(
        select(Dataset.id)
        .where(Dataset.deleted_at.is_not(None), Dataset.deleted_at <= cutoff)
        .order_by(Dataset.deleted_at)
        .limit(limit)
    )
    return list(rows)


async def _collections(session: AsyncSession, dataset_id: str) -> list[str]:
    rows = await session.scalars(
        select(DatasetVersion.collection_name).where(DatasetVersion.dataset_id == dataset_id)
    )
    return list(rows)


async def _remove_rows(session: AsyncSession, dataset_id: str) -> None:
    versions = select(DatasetVersion.id).where(DatasetVersion.dataset_id == dataset_id)
    # explicit, so SQLite without foreign keys and the FK-less jobs table end the same way
    await session.execute(delete(VersionDocument).where(VersionDocument.version_id.in_(versions)))
    await session.execute(delete(ProcessingJob).where(ProcessingJob.dataset_id == dataset_id))
    await session.execute(delete(Document).where(Document.dataset_id == dataset_id))
    await session.execute(delete(DatasetVersion).where(DatasetVersion.dataset_id == dataset_id))
    await session.execute(delete(Review).where(Review.dataset_id == dataset_id))
    await session.execute(delete(DatasetTag).where(DatasetTag.dataset_id == dataset_id))
    await session.execute(delete(DatasetSource).where(DatasetSource.dataset_id == dataset_id))
    await session.execute(delete(Dataset).where(Dataset.id == dataset_id))


async def purge_dataset(session: AsyncSession, chunks: ChunkStore, dataset_id: str) -> None:
    for collection in await _collections(session, dataset_id):
        await chunks.drop(collection)
    async with session.begin_nested():
        await _remove_rows(session, dataset_id)
        await audit.record(
            session,
            None,
            None,
            "dataset.purge",
            resource_type="dataset",
            resource_id=dataset_id,
            dataset_id=dataset_id,
        )


async def purge_expired(
    session: AsyncSession,
    chunks: ChunkStore,
    now: datetime,
    grace_days: int = DEFAULT_GRACE_DAYS,
) -> list[str]:
    """Purge every dataset deleted at least ``grace_days`` before ``now``; returns their ids.
    Never commits (the caller's transaction does)."""
    cutoff = now - timedelta(days=grace_days)
    purged: list[str] = []
    tried: set[str] = set()
    while True:
        batch = [
            i for i in await expired_ids(session, cutoff, BATCH + len(tried)) if i not in tried
        ]
        if not batch:
            return purged
        for dataset_id in batch:
            tried.add(dataset_id)
            try:
                await purge_dataset(session, chunks, dataset_id)
            except Exception as exc:  # one dataset's failure must not stop the others
                log.warning("dataset_purge_failed", dataset_id=dataset_id, error=repr(exc))
                continue
            purged.append(dataset_id)
