"""Resolve any credential FLTR or Better Auth issued to the user behind it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.callers.schemas import CallerOut, CallerSession, CallerUser
from fltr_auth.jwt import service as jwt_service
from fltr_auth.jwt.service import JwtConfig
from fltr_auth.sessions import service as sessions
from fltr_auth.sessions.service import SessionPolicy
from fltr_auth.sessions.transport import token_from_value
from fltr_auth.users import service as users
from fltr_auth.users.models import User
from fltr_shared.db import utcnow
from fltr_shared.tokens import looks_like_jwt


def _user(user: User) -> CallerUser:
    return CallerUser(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        email_verified=user.email_verified,
        image=user.image,
        username=user.username,
    )


async def resolve(
    db: AsyncSession, value: str, *, secret: str, policy: SessionPolicy, jwt_config: JwtConfig
) -> CallerOut | None:
    """The caller, or None when the credential is invalid, expired, revoked or banned."""
    value = value.strip()
    if value.lower().startswith("bearer "):
        value = value[7:].strip()
    if looks_like_jwt(value):
        try:
            claims = await jwt_service.verify(db, jwt_config, value)
        except jwt_service.InvalidJwt:
            return None
        user = await users.get(db, str(claims["sub"]))
        # A JWT cannot be revoked, but a banned or deleted user's can stop working at once.
        if user is None or sessions.is_banned(user, utcnow()):
            return None
        return CallerOut(user=_user(user), credential="jwt")
    token = token_from_value(value, secret)
    if token is None:
        return None
    active = await sessions.resolve(db, token, policy)
    if active is None:
        return None
    return CallerOut(
        user=_user(active.user),
        session=CallerSession(id=active.session.id, expires_at=active.session.expires_at),
        credential="session",
    )
