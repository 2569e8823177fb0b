"""The rules for users and their credentials: sign-up, password checks, profile changes.

Never commits: the request's transaction does.
"""

from __future__ import annotations

from collections.abc import Sequence

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.errors import AuthBadRequest, AuthUnauthorized, AuthUnprocessable
from fltr_auth.security import ids, passwords
from fltr_auth.users import repository
from fltr_auth.users.models import CREDENTIAL_PROVIDER, Account, User
from fltr_auth.users.schemas import PROTECTED_FIELDS
from fltr_shared.db import utcnow

# Verified against when the email is unknown, so a miss costs the same time as a wrong password.
_DUMMY_HASH: str | None = None


def normalize_email(email: str) -> str:
    """Lower-cased and syntax-checked (no DNS lookups), or 400 INVALID_EMAIL."""
    try:
        checked = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise AuthBadRequest("INVALID_EMAIL") from exc
    return checked.normalized.lower()


def check_client_fields(extra: dict[str, object] | None, *, updating: bool = False) -> None:
    """Refuse fields a client may not set, as Better Auth does (instead of dropping them)."""
    for key in extra or {}:
        if updating and key == "email":
            raise AuthBadRequest("EMAIL_CAN_NOT_BE_UPDATED")
        if key in PROTECTED_FIELDS:
            raise AuthBadRequest("FIELD_NOT_ALLOWED", f"{key} is not allowed to be set")


def check_password_length(password: str) -> None:
    if len(password) < passwords.MIN_PASSWORD_LENGTH:
        raise AuthBadRequest("PASSWORD_TOO_SHORT")
    if len(password) > passwords.MAX_PASSWORD_LENGTH:
        raise AuthBadRequest("PASSWORD_TOO_LONG")


async def sign_up(
    db: AsyncSession,
    *,
    name: str,
    email: str,
    password: str,
    image: str | None = None,
    username: str | None = None,
) -> User:
    email = normalize_email(email)
    check_password_length(password)
    if await repository.get_by_email(db, email) is not None:
        raise AuthUnprocessable("USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL")
    if username is not None and await repository.get_by_username(db, username) is not None:
        raise AuthUnprocessable("USERNAME_IS_ALREADY_TAKEN")
    now = utcnow()
    user = User(
        id=ids.generate_id(),
        name=name,
        email=email,
        email_verified=False,
        image=image,
        username=username,
        role="developer",
        banned=False,
        created_at=now,
        updated_at=now,
    )
    account = Account(
        id=ids.generate_id(),
        account_id=user.id,  # Better Auth's convention for credential accounts
        provider_id=CREDENTIAL_PROVIDER,
        user_id=user.id,
        password=await passwords.hash_password_async(password),
        created_at=now,
        updated_at=now,
    )
    await repository.add(db, user)
    await repository.add(db, account)
    return user


async def authenticate(db: AsyncSession, email: str, password: str) -> User:
    """The user with this email and password, or 401 INVALID_EMAIL_OR_PASSWORD."""
    global _DUMMY_HASH
    email = normalize_email(email)  # 400 INVALID_EMAIL for a malformed one, as Better Auth
    user = await repository.get_by_email(db, email)
    account = await repository.credential_account(db, user.id) if user else None
    if user is None or account is None or account.password is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = await passwords.hash_password_async(ids.generate_token())
        await passwords.verify_password_async(password, _DUMMY_HASH)
        raise AuthUnauthorized("INVALID_EMAIL_OR_PASSWORD")
    if not await passwords.verify_password_async(password, account.password):
        raise AuthUnauthorized("INVALID_EMAIL_OR_PASSWORD")
    return user


async def change_password(db: AsyncSession, user: User, current: str, new: str) -> None:
    check_password_length(new)
    account = await repository.credential_account(db, user.id)
    if account is None or account.password is None:
        raise AuthBadRequest("CREDENTIAL_ACCOUNT_NOT_FOUND")
    if not await passwords.verify_password_async(current, account.password):
        raise AuthBadRequest("INVALID_PASSWORD")
    account.password = await passwords.hash_password_async(new)
    account.updated_at = utcnow()
    await db.flush()


async def set_password(db: AsyncSession, user_id: str, new: str) -> None:
    """Set (or create) the credential password, as a password reset does."""
    check_password_length(new)
    hashed = await passwords.hash_password_async(new)
    account = await repository.credential_account(db, user_id)
    now = utcnow()
    if account is None:
        account = Account(
            id=ids.generate_id(),
            account_id=user_id,
            provider_id=CREDENTIAL_PROVIDER,
            user_id=user_id,
            password=hashed,
            created_at=now,
            updated_at=now,
        )
        await repository.add(db, account)
    else:
        account.password = hashed
        account.updated_at = now
        await db.flush()


async def update_profile(
    db: AsyncSession, user: User, *, name: str | None, image: str | None, username: str | None
) -> User:
    if username is not None and username != user.username:
        other = await repository.get_by_username(db, username)
        if other is not None and other.id != user.id:
            raise AuthUnprocessable("USERNAME_IS_ALREADY_TAKEN")
        user.username = username
    if name is not None:
        user.name = name
    if image is not None:
        user.image = image
    user.updated_at = utcnow()
    await db.flush()
    return user


async def get(db: AsyncSession, user_id: str) -> User | None:
    return await repository.get_by_id(db, user_id)


async def get_by_email(db: AsyncSession, email: str) -> User | None:
    return await repository.get_by_email(db, email)


async def mark_email_verified(db: AsyncSession, user: User) -> None:
    user.email_verified = True
    user.updated_at = utcnow()
    await db.flush()


async def list_users(
    db: AsyncSession, *, limit: int, offset: int, search: str | None
) -> tuple[Sequence[User], int]:
    return await repository.list_users(db, limit=limit, offset=offset, search=search)
