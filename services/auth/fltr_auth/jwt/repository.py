"""SQL for the jwt plugin's keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.jwt.models import Jwk


async def newest_usable(db: AsyncSession, now: datetime) -> Jwk | None:
    result = await db.execute(
        select(Jwk)
        .where(or_(Jwk.expires_at.is_(None), Jwk.expires_at > now))
        .order_by(Jwk.created_at.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def listed(db: AsyncSession, listed_after: datetime) -> Sequence[Jwk]:
    """Keys still published: unexpired, or expired less than the grace period ago."""
    result = await db.execute(
        select(Jwk)
        .where(or_(Jwk.expires_at.is_(None), Jwk.expires_at > listed_after))
        .order_by(Jwk.created_at)
    )
    return result.scalars().all()


async def get(db: AsyncSession, kid: str) -> Jwk | None:
    return await db.get(Jwk, kid)


async def add(db: AsyncSession, row: Jwk) -> None:
    db.add(row)
    await db.flush()
