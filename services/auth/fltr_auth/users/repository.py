"""SQL for users and accounts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.users.models import CREDENTIAL_PROVIDER, Account, User


async def get_by_id(db: AsyncSession, user_id: str) -> User | None:
    return await db.get(User, user_id)


async def get_by_email(db: AsyncSession, email: str) -> User | None:
    result = await db.execute(select(User).where(User.email == email.lower()))
    return result.scalar_one_or_none()


async def get_by_username(db: AsyncSession, username: str) -> User | None:
    result = await db.execute(select(User).where(User.username == username))
    return result.scalar_one_or_none()


async def add(db: AsyncSession, *rows: User | Account) -> None:
    db.add_all(rows)
    await db.flush()


async def credential_account(db: AsyncSession, user_id: str) -> Account | None:
    result = await db.execute(
        select(Account).where(
            Account.user_id == user_id, Account.provider_id == CREDENTIAL_PROVIDER
        )
    )
    return result.scalars().first()


async def account_by_provider(
    db: AsyncSession, provider_id: str, account_id: str
) -> Account | None:
    result = await db.execute(
        select(Account).where(Account.provider_id == provider_id, Account.account_id == account_id)
    )
    return result.scalar_one_or_none()


async def list_users(
    db: AsyncSession, *, limit: int, offset: int, search: str | None = None
) -> tuple[Sequence[User], int]:
    query = select(User)
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(User.email.like(pattern) | func.lower(User.name).like(pattern))
    total = (await db.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await db.execute(query.order_by(User.created_at, User.id).limit(limit).offset(offset))
    return rows.scalars().all(), total
