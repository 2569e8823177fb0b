"""Email verification and password reset, with Better Auth's token formats.

- Verification links carry an HS256 JWT ``{"email": ...}`` signed with the Better Auth
  secret (what Better Auth's ``createEmailVerificationToken`` makes), so links made by
  either side verify on both. A link works once: after it, the email is verified.
- Reset links carry a random 24-character token stored as the verification
  ``reset-password:<token>`` (value: the user id), deleted when used; 1 hour by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

import jwt
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.email.sender import Email
from fltr_auth.errors import AuthBadRequest, AuthUnauthorized
from fltr_auth.security import ids
from fltr_auth.users import service as users
from fltr_auth.users.models import User
from fltr_auth.verifications import repository
from fltr_auth.verifications.models import Verification
from fltr_shared.db import utcnow

RESET_PREFIX = "reset-password:"
RESET_MESSAGE = "If this email exists in our system, check your email for the reset link"


@dataclass(frozen=True)
class LinkConfig:
    secret: str
    base_url: str  # BETTER_AUTH_URL
    verification_expires_in: timedelta
    reset_expires_in: timedelta


def verification_token(config: LinkConfig, email: str, user_id: str) -> str:
    now = utcnow()
    payload = {
        "email": email.lower(),
        "userId": user_id,
        "iat": int(now.timestamp()),
        "exp": int((now + config.verification_expires_in).timestamp()),
    }
    return jwt.encode(payload, config.secret, algorithm="HS256")


def verification_email(config: LinkConfig, user: User, callback_url: str | None) -> Email:
    query = {"token": verification_token(config, user.email, user.id)}
    if callback_url:
        query["callbackURL"] = callback_url
    link = f"{config.base_url}/api/auth/verify-email?{urlencode(query)}"
    return Email(
        to=user.email,
        subject="Verify your email address",
        text=f"Hello {user.name},\n\nConfirm your email address for FLTR:\n{link}\n",
    )


async def user_to_verify(db: AsyncSession, email: str) -> User | None:
    """The unverified user with this email, if any (the caller never learns which)."""
    user = await users.get_by_email(db, email)
    return user if user is not None and not user.email_verified else None


async def verify_email(db: AsyncSession, config: LinkConfig, token: str) -> User:
    try:
        claims = jwt.decode(
            token, config.secret, algorithms=["HS256"], options={"require": ["exp", "email"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise AuthUnauthorized("TOKEN_EXPIRED") from exc
    except jwt.PyJWTError as exc:
        raise AuthUnauthorized("INVALID_TOKEN") from exc
    user = await users.get_by_email(db, str(claims["email"]))
    if user is None:
        raise AuthUnauthorized("USER_NOT_FOUND")
    if user.email_verified:
        raise AuthBadRequest("EMAIL_ALREADY_VERIFIED")  # the link was used already
    await users.mark_email_verified(db, user)
    return user


async def start_password_reset(
    db: AsyncSession, config: LinkConfig, email: str, redirect_to: str | None
) -> Email | None:
    """Store a reset token and return the email to send, or None for an unknown address."""
    user = await users.get_by_email(db, email)
    if user is None:
        return None
    token = ids.generate_token(24)
    now = utcnow()
    await repository.add(
        db,
        Verification(
            id=ids.generate_id(),
            identifier=RESET_PREFIX + token,
            value=user.id,
            expires_at=now + config.reset_expires_in,
            created_at=now,
            updated_at=now,
        ),
    )
    query = urlencode({"callbackURL": redirect_to}) if redirect_to else ""
    link = f"{config.base_url}/api/auth/reset-password/{token}" + (f"?{query}" if query else "")
    return Email(
        to=user.email,
        subject="Reset your password",
        text=f"Hello {user.name},\n\nReset your FLTR password (valid for "
        f"{int(config.reset_expires_in.total_seconds() // 60)} minutes):\n{link}\n",
    )


async def _live_reset(db: AsyncSession, token: str) -> Verification | None:
    if not token or len(token) > 128:
        return None
    row = await repository.by_identifier(db, RESET_PREFIX + token)
    if row is None or row.expires_at <= utcnow():
        return None
    return row


async def reset_token_is_valid(db: AsyncSession, token: str) -> bool:
    return await _live_reset(db, token) is not None


async def reset_password(db: AsyncSession, token: str, new_password: str) -> None:
    users.check_password_length(new_password)
    row = await _live_reset(db, token)
    if row is None:
        raise AuthBadRequest("INVALID_TOKEN")
    await users.set_password(db, row.value, new_password)
    await repository.delete_by_identifier(db, RESET_PREFIX + token)
