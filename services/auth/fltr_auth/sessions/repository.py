"""SQL for sessions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.sessions.models import Session
from fltr_auth.users.models import User


async def add(db: AsyncSession, row: Session) -> None:
    db.add(row)
    await db.flush()


async def get_with_user(db: AsyncSession, token: str) -> tuple[Session, User] | None:
    result = await db.execute(
        select(Session, User).join(User, User.id == Session.user_id).where(Session.token == token)
    )
    row = result.first()
    return (row[0], row[1]) if row else None


async def delete_by_token(db: AsyncSession, token: str, user_id: str | None = None) -> int:
    stmt = delete(Session).where(Session.token == token)
    if user_id is not None:
        stmt = stmt.where(Session.user_id == user_id)
    result = await db.execute(stmt)
    return int(result.rowcount)  # type: ignore[attr-defined]


async def delete_for_user(db: AsyncSession, user_id: str, except_token: str | None = None) -> int:
    stmt = delete(Session).where(Session.user_id == user_id)
    if except_token is not None:
        stmt = stmt.where(Session.token != except_token)
    result = await db.execute(stmt)
    return int(result.rowcount)  # type: ignore[attr-defined]


async def list_active(db: AsyncSession, user_id: str, now: datetime) -> Sequence[Session]:
    result = await db.execute(
        select(Session)
        .where(Session.user_id == user_id, Session.expires_at > now)
        .order_by(Session.created_at)
    )
    return result.scalars().all()
