"""SQL for API keys."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from fltr_auth.api_keys.models import ApiKey
from fltr_shared.db import UTCDateTime

#: ids per UPDATE when last-used times are written (keeps each statement small)
TOUCH_CHUNK = 500


def _owned_by(owner_type: str, owner_id: str) -> ColumnElement[bool]:
    column = ApiKey.user_id if owner_type == "user" else ApiKey.organization_id
    return column == owner_id


def _active(now: datetime) -> ColumnElement[bool]:
    return and_(
        ApiKey.revoked_at.is_(None), or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now)
    )


async def add(db: AsyncSession, row: ApiKey) -> None:
    db.add(row)
    await db.flush()


async def get(db: AsyncSession, api_key_id: str) -> ApiKey | None:
    return await db.get(ApiKey, api_key_id)


async def get_by_hash(db: AsyncSession, key_hash: str) -> ApiKey | None:
    result = await db.execute(select(ApiKey).where(ApiKey.key_hash == key_hash))
    return result.scalar_one_or_none()


async def lock_owner(db: AsyncSession, owner_type: str, owner_id: str) -> None:
    """Serialize key creation per owner for the rest of the transaction (PostgreSQL), so
    two concurrent creations cannot both pass the active-key limit. SQLite serializes
    writers anyway."""
    if db.get_bind().dialect.name == "postgresql":
        await db.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"fltr:api_keys:{owner_type}:{owner_id}"},
        )


async def count_active(db: AsyncSession, owner_type: str, owner_id: str, now: datetime) -> int:
    result = await db.execute(
        select(func.count())
        .select_from(ApiKey)
        .where(_owned_by(owner_type, owner_id), _active(now))
    )
    return int(result.scalar_one())


async def list_for_owner(
    db: AsyncSession,
    owner_type: str,
    owner_id: str,
    *,
    include_revoked: bool,
    limit: int,
    offset: int,
) -> tuple[Sequence[ApiKey], int]:
    conditions = [_owned_by(owner_type, owner_id)]
    if not include_revoked:
        conditions.append(ApiKey.revoked_at.is_(None))
    total = await db.execute(select(func.count()).select_from(ApiKey).where(*conditions))
    rows = await db.execute(
        select(ApiKey)
        .where(*conditions)
        .order_by(ApiKey.created_at.desc(), ApiKey.id)
        .limit(limit)
        .offset(offset)
    )
    return rows.scalars().all(), int(total.scalar_one())


async def touch_last_used(conn: AsyncConnection, uses: Mapping[str, datetime]) -> int:
    """Write many keys' last-used times, one UPDATE per ``TOUCH_CHUNK`` keys; rows updated."""
    items = list(uses.items())
    updated = 0
    for start in range(0, len(items), TOUCH_CHUNK):
        chunk = dict(items[start : start + TOUCH_CHUNK])
        when = case(
            {key_id: literal(at, UTCDateTime()) for key_id, at in chunk.items()},
            value=ApiKey.id,
        )
        result = await conn.execute(
            update(ApiKey).where(ApiKey.id.in_(list(chunk))).values(last_used_at=when)
        )
        updated += int(result.rowcount)
    return updated
