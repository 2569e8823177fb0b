"""SQL of the directory the content service reads: memberships and public profiles."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.teams.models import Member, Organization
from fltr_auth.users.models import User


async def memberships(db: AsyncSession, user_id: str) -> Sequence[tuple[str, str]]:
    rows = await db.execute(
        select(Member.organization_id, Member.role)
        .where(Member.user_id == user_id)
        .order_by(Member.organization_id)
    )
    return [(org_id, role) for org_id, role in rows]


async def users_by_ids(db: AsyncSession, user_ids: Sequence[str]) -> Sequence[User]:
    if not user_ids:
        return []
    return list(await db.scalars(select(User).where(User.id.in_(user_ids))))


async def organizations_by_ids(db: AsyncSession, ids: Sequence[str]) -> Sequence[Organization]:
    if not ids:
        return []
    return list(await db.scalars(select(Organization).where(Organization.id.in_(ids))))
