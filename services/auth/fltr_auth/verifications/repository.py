"""SQL for verification tokens."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.verifications.models import Verification


async def add(db: AsyncSession, row: Verification) -> None:
    db.add(row)
    await db.flush()


async def by_identifier(db: AsyncSession, identifier: str) -> Verification | None:
    result = await db.execute(
        select(Verification).where(Verification.identifier == identifier).limit(1)
    )
    return result.scalar_one_or_none()


async def delete_by_identifier(db: AsyncSession, identifier: str) -> int:
    result = await db.execute(delete(Verification).where(Verification.identifier == identifier))
    return int(result.rowcount)  # type: ignore[attr-defined]
