"""What admins may do to users. Banning ends every session of the user at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.errors import AuthBadRequest, AuthForbidden, AuthNotFound
from fltr_auth.sessions import service as sessions
from fltr_auth.users import service as users
from fltr_auth.users.models import User
from fltr_shared.db import utcnow


def require_admin(user: User) -> None:
    if user.role != "admin":
        raise AuthForbidden("FORBIDDEN", "Only admins may do this.")


async def _target(db: AsyncSession, user_id: str) -> User:
    user = await users.get(db, user_id)
    if user is None:
        raise AuthNotFound("USER_NOT_FOUND")
    return user


async def list_users(
    db: AsyncSession, *, limit: int, offset: int, search: str | None
) -> tuple[Sequence[User], int]:
    return await users.list_users(db, limit=limit, offset=offset, search=search)


async def set_role(db: AsyncSession, admin: User, user_id: str, role: str) -> User:
    target = await _target(db, user_id)
    if target.id == admin.id and role != "admin":
        raise AuthBadRequest("CANNOT_DEMOTE_YOURSELF", "Admins cannot remove their own role.")
    target.role = role
    target.updated_at = utcnow()
    await db.flush()
    return target


async def ban(
    db: AsyncSession, admin: User, user_id: str, reason: str | None, expires_in: int | None
) -> User:
    target = await _target(db, user_id)
    if target.id == admin.id:
        raise AuthBadRequest("YOU_CANNOT_BAN_YOURSELF", "You cannot ban yourself")
    now = utcnow()
    target.banned = True
    target.ban_reason = reason or "No reason"
    target.ban_expires = now + timedelta(seconds=expires_in) if expires_in else None
    target.updated_at = now
    await sessions.revoke_all(db, target.id)
    await db.flush()
    return target


async def unban(db: AsyncSession, user_id: str) -> User:
    target = await _target(db, user_id)
    target.banned = False
    target.ban_reason = None
    target.ban_expires = None
    target.updated_at = utcnow()
    await db.flush()
    return target


async def update(
    db: AsyncSession,
    admin: User,
    user_id: str,
    *,
    name: str | None,
    email_verified: bool | None,
    role: str | None,
) -> User:
    target = await _target(db, user_id)
    if role is not None:
        await set_role(db, admin, user_id, role)
    if name is not None:
        target.name = name
    if email_verified is not None:
        target.email_verified = email_verified
    target.updated_at = utcnow()
    await db.flush()
    return target
