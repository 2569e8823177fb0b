"""Session lifetime as Better Auth runs it: 7-day sessions, sliding refresh, lazy expiry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.security import ids
from fltr_auth.sessions import repository
from fltr_auth.sessions.models import Session
from fltr_auth.users.models import User
from fltr_shared.db import utcnow

# "Remember me" off: a one-day session that is never refreshed (Better Auth's behaviour).
DONT_REMEMBER_LIFETIME = timedelta(days=1)


@dataclass(frozen=True)
class SessionPolicy:
    expires_in: timedelta
    update_age: timedelta


@dataclass
class ActiveSession:
    session: Session
    user: User
    refreshed: bool = False


def is_banned(user: User, now: datetime) -> bool:
    if not user.banned:
        return False
    return user.ban_expires is None or user.ban_expires > now


async def create(
    db: AsyncSession,
    user: User,
    policy: SessionPolicy,
    *,
    ip_address: str | None,
    user_agent: str | None,
    remember: bool = True,
) -> Session:
    now = utcnow()
    row = Session(
        id=ids.generate_id(),
        token=ids.generate_token(32),
        user_id=user.id,
        expires_at=now + (policy.expires_in if remember else DONT_REMEMBER_LIFETIME),
        created_at=now,
        updated_at=now,
        ip_address=ip_address,
        user_agent=user_agent[:512] if user_agent else None,
    )
    await repository.add(db, row)
    return row


async def resolve(
    db: AsyncSession, token: str, policy: SessionPolicy, *, refresh: bool = True
) -> ActiveSession | None:
    """The live session with this token, refreshed when due; expired rows are deleted."""
    found = await repository.get_with_user(db, token)
    if found is None:
        return None
    session, user = found
    now = utcnow()
    if session.expires_at <= now:
        await repository.delete_by_token(db, token)
        return None
    if is_banned(user, now):
        return None
    active = ActiveSession(session, user)
    due = session.expires_at - policy.expires_in + policy.update_age <= now
    if refresh and policy.update_age.total_seconds() > 0 and due:
        session.expires_at = now + policy.expires_in
        session.updated_at = now
        await db.flush()
        active.refreshed = True
    return active


async def revoke(db: AsyncSession, token: str, user_id: str) -> bool:
    return await repository.delete_by_token(db, token, user_id) > 0


async def revoke_all(db: AsyncSession, user_id: str, *, keep_token: str | None = None) -> int:
    return await repository.delete_for_user(db, user_id, except_token=keep_token)


async def list_active(db: AsyncSession, user_id: str) -> Sequence[Session]:
    return await repository.list_active(db, user_id, utcnow())
