"""All SQL of the versions domain."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content.versions.models import DatasetVersion


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
