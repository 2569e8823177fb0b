"""All SQL of the versions domain."""

from __future__ import annotations

from sqlalchemy import func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content.datasets.models import Dataset
from fltr_content.documents.models import Document
from fltr_content.jobs.models import ProcessingJob
from fltr_content.versions.models import DatasetVersion, VersionDocument


async def working_copy(session: AsyncSession, dataset_id: str) -> DatasetVersion | None:
    return await session.scalar(
        select(DatasetVersion).where(
            DatasetVersion.dataset_id == dataset_id, DatasetVersion.status == "draft"
        )
    )


async def by_id(session: AsyncSession, version_id: str) -> DatasetVersion | None:
    return await session.get(DatasetVersion, version_id)


async def by_label(session: AsyncSession, dataset_id: str, label: str) -> DatasetVersion | None:
    return await session.scalar(
        select(DatasetVersion).where(
            DatasetVersion.dataset_id == dataset_id, DatasetVersion.version == label
        )
    )


async def add(session: AsyncSession, version: DatasetVersion) -> None:
    session.add(version)
    await session.flush()


async def lock_dataset(session: AsyncSession, dataset_id: str) -> None:
    """Serialize publishes (and active-version changes) of one dataset (PostgreSQL; SQLite
    has one writer anyway)."""
    await session.execute(select(Dataset.id).where(Dataset.id == dataset_id).with_for_update())


async def published_page(
    session: AsyncSession, dataset_id: str, limit: int, offset: int
) -> list[DatasetVersion]:
    """Every version but the working copy, newest first."""
    rows = await session.scalars(
        select(DatasetVersion)
        .where(DatasetVersion.dataset_id == dataset_id, DatasetVersion.status != "draft")
        .order_by(DatasetVersion.created_at.desc(), DatasetVersion.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows)


async def count_published(session: AsyncSession, dataset_id: str) -> int:
    total = await session.scalar(
        select(func.count())
        .select_from(DatasetVersion)
        .where(DatasetVersion.dataset_id == dataset_id, DatasetVersion.status != "draft")
    )
    return int(total or 0)


async def snapshot_documents(session: AsyncSession, dataset_id: str, version_id: str) -> int:
    """Freeze the live, ready documents of the dataset into ``version_documents`` (one
    INSERT ... SELECT); returns how many."""
    live = select(literal(version_id).label("version_id"), Document.id, Document.chunk_count).where(
        Document.dataset_id == dataset_id,
        Document.deleted_at.is_(None),
        Document.status == "ready",
    )
    await session.execute(
        insert(VersionDocument).from_select(["version_id", "document_id", "chunk_count"], live)
    )
    total = await session.scalar(
        select(func.count())
        .select_from(VersionDocument)
        .where(VersionDocument.version_id == version_id)
    )
    return int(total or 0)


async def all_of_dataset(session: AsyncSession, dataset_id: str) -> list[DatasetVersion]:
    rows = await session.scalars(
        select(DatasetVersion).where(DatasetVersion.dataset_id == dataset_id)
    )
    return list(rows)


async def job(session: AsyncSession, job_id: str) -> ProcessingJob | None:
    return await session.get(ProcessingJob, job_id)


async def add_job(session: AsyncSession, job: ProcessingJob) -> None:
    session.add(job)
    await session.flush()
