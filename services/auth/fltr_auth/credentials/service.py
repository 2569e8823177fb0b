"""Flows that touch a user's credential and sessions in one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.errors import AuthForbidden
from fltr_auth.sessions import service as sessions
from fltr_auth.sessions.models import Session
from fltr_auth.sessions.service import SessionPolicy
from fltr_auth.users import service as users
from fltr_auth.users.models import User
from fltr_shared.db import utcnow


@dataclass(frozen=True)
class Client:
    ip_address: str | None
    user_agent: str | None


@dataclass
class SignedIn:
    user: User
    session: Session


async def sign_up(
    db: AsyncSession,
    policy: SessionPolicy,
    client: Client,
    *,
    name: str,
    email: str,
    password: str,
    image: str | None,
    username: str | None,
    remember: bool,
) -> SignedIn:
    user = await users.sign_up(
        db, name=name, email=email, password=password, image=image, username=username
    )
    session = await sessions.create(
        db,
        user,
        policy,
        ip_address=client.ip_address,
        user_agent=client.user_agent,
        remember=remember,
    )
    return SignedIn(user, session)


async def sign_in(
    db: AsyncSession,
    policy: SessionPolicy,
    client: Client,
    *,
    email: str,
    password: str,
    remember: bool,
) -> SignedIn:
    user = await users.authenticate(db, email, password)
    if sessions.is_banned(user, utcnow()):
        raise AuthForbidden("BANNED_USER")
    session = await sessions.create(
        db,
        user,
        policy,
        ip_address=client.ip_address,
        user_agent=client.user_agent,
        remember=remember,
    )
    return SignedIn(user, session)


async def change_password(
    db: AsyncSession,
    policy: SessionPolicy,
    client: Client,
    current: sessions.ActiveSession,
    *,
    current_password: str,
    new_password: str,
    revoke_other_sessions: bool,
) -> Session | None:
    """Change the password; with ``revoke_other_sessions`` every session ends and a new one
    is returned (Better Auth's behaviour), otherwise None."""
    await users.change_password(db, current.user, current_password, new_password)
    if not revoke_other_sessions:
        return None
    await sessions.revoke_all(db, current.user.id)
    return await sessions.create(
        db, current.user, policy, ip_address=client.ip_address, user_agent=client.user_agent
    )
