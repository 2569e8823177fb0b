"""All SQL of the sources domain."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content.sources.models import DatasetSource


async def add(session: AsyncSession, source: DatasetSource) -> None:
    session.add(source)
    await session.flush()


async def save(session: AsyncSession) -> None:
    await session.flush()


async def get(session: AsyncSession, dataset_id: str, source_id: str) -> DatasetSource | None:
    return await session.scalar(
        select(DatasetSource).where(
            DatasetSource.dataset_id == dataset_id, DatasetSource.id == source_id
        )
    )


async def remove(session: AsyncSession, source: DatasetSource) -> None:
    await session.delete(source)
    await session.flush()


async def list_page(
    session: AsyncSession, dataset_id: str, limit: int, offset: int
) -> list[DatasetSource]:
    rows = await session.scalars(
        select(DatasetSource)
        .where(DatasetSource.dataset_id == dataset_id)
        .order_by(DatasetSource.created_at.desc(), DatasetSource.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows)


async def count(session: AsyncSession, dataset_id: str) -> int:
    total = await session.scalar(
        select(func.count())
        .select_from(DatasetSource)
        .where(DatasetSource.dataset_id == dataset_id)
    )
    return int(total or 0)
