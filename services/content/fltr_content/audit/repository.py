"""All SQL of the audit log."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content.audit.models import AuditEntry


async def add(session: AsyncSession, entry: AuditEntry) -> None:
    session.add(entry)
    await session.flush()


async def of_dataset(
    session: AsyncSession, dataset_id: str, limit: int, offset: int
) -> list[AuditEntry]:
    rows = await session.scalars(
        select(AuditEntry)
        .where(AuditEntry.dataset_id == dataset_id)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows)


async def count_of_dataset(session: AsyncSession, dataset_id: str) -> int:
    total = await session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.dataset_id == dataset_id)
    )
    return int(total or 0)
