"""The rules for API keys: who may create and manage which key, and what a key is worth.

- A key belongs to its creator, or to a team whose owners and admins manage it. Anyone else
  gets 404 for it, exactly as for an id that does not exist.
- Scopes are levels: ``read`` < ``write`` < ``admin``. ``admin`` lets a key act with its
  owner's site-admin rights, so only a site admin may grant it (on create or update).
- At most ``API_KEY_MAX_ACTIVE_PER_OWNER`` active (unrevoked, unexpired) keys per owner.
- Revocation is immediate here; the content service trusts a verified key for at most
  ``API_KEY_CACHE_SECONDS`` more.

Never commits: the request's transaction does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.api_keys import hashing, repository
from fltr_auth.api_keys.models import ApiKey
from fltr_auth.api_keys.schemas import ApiKeyCreateIn, ApiKeyUpdateIn, OwnerType, Status
from fltr_auth.api_keys.usage import UsageRecorder
from fltr_auth.billing import limits
from fltr_auth.billing.policy import BillingPolicy
from fltr_auth.credits import service as credits
from fltr_auth.security.ids import generate_id
from fltr_auth.sessions.service import is_banned
from fltr_auth.teams import access
from fltr_auth.teams import service as teams
from fltr_auth.users import service as users
from fltr_auth.users.models import User
from fltr_shared.db import utcnow
from fltr_shared.errors import Conflict, Forbidden, NotFound, ValidationFailed

SCOPE_LEVELS = {"read": 1, "write": 2, "admin": 3}
TEAM_MANAGER_ROLES = frozenset({"owner", "admin"})


@dataclass(frozen=True)
class KeyPolicy:
    hash_secret: str
    default_rate_limit_per_minute: int
    max_active_per_owner: int
    plans: BillingPolicy | None = None  # the plan's api_keys limit, while billing is on


@dataclass(frozen=True)
class Owner:
    type: OwnerType
    id: str


@dataclass(frozen=True)
class VerifiedKey:
    """A usable key and, for a user's key, the user (a team key has none)."""

    key: ApiKey
    user: User | None

    @property
    def owner(self) -> Owner:
        return owner_of(self.key)

    def has_scope(self, scope: str) -> bool:
        return has_scope(self.key.scopes, scope)


def owner_of(key: ApiKey) -> Owner:
    if key.organization_id is not None:
        return Owner("team", key.organization_id)
    assert key.user_id is not None
    return Owner("user", key.user_id)


def has_scope(scopes: Sequence[str], scope: str) -> bool:
    """Whether a key holding ``scopes`` may act at ``scope``'s level."""
    held = max((SCOPE_LEVELS.get(s, 0) for s in scopes), default=0)
    return held >= SCOPE_LEVELS[scope]


def status_of(key: ApiKey, now: datetime) -> Status:
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None and key.expires_at <= now:
        return "expired"
    return "active"


def _not_found() -> NotFound:
    return NotFound("No such API key.", code="api_key_not_found")


def _is_team_manager(role: str | None) -> bool:
    return role is not None and bool(TEAM_MANAGER_ROLES & set(access.parse_role_list(role)))


async def _team_owner(db: AsyncSession, user: User, organization_id: str) -> Owner:
    """The team, if ``user`` may manage its keys: 404 for non-members, 403 for members."""
    role = await teams.member_role(db, organization_id, user.id)
    if role is None:
        raise NotFound("No such team.", code="team_not_found")
    if not _is_team_manager(role):
        raise Forbidden(
            "Only the team's owners and admins manage its API keys.", code="team_role_required"
        )
    return Owner("team", organization_id)


def _check_scopes(user: User, scopes: Sequence[str]) -> None:
    if "admin" in scopes and user.role != "admin":
        raise Forbidden("Only site admins may grant the admin scope.", code="scope_not_allowed")


async def _manageable(db: AsyncSession, user: User, api_key_id: str) -> ApiKey:
    key = await repository.get(db, api_key_id)
    if key is None:
        raise _not_found()
    if key.user_id is not None:
        if key.user_id != user.id:
            raise _not_found()
    elif key.organization_id is None or not _is_team_manager(
        await teams.member_role(db, key.organization_id, user.id)
    ):
        raise _not_found()
    return key


async def create(
    db: AsyncSession, user: User, body: ApiKeyCreateIn, policy: KeyPolicy
) -> tuple[ApiKey, str]:
    """A new key and its secret (the only time the secret exists outside the caller)."""
    owner = (
        await _team_owner(db, user, body.organization_id)
        if body.organization_id is not None
        else Owner("user", user.id)
    )
    _check_scopes(user, body.scopes)
    now = utcnow()
    await repository.lock_owner(db, owner.type, owner.id)
    active = await repository.count_active(db, owner.type, owner.id, now)
    if active >= policy.max_active_per_owner:
        raise Conflict(
            f"At most {policy.max_active_per_owner} active API keys per owner; revoke one first.",
            code="too_many_api_keys",
        )
    await limits.enforce(db, policy.plans, "api_keys", owner.type, owner.id, active)
    secret = hashing.generate_key()
    key = ApiKey(
        id=generate_id(),
        name=body.name,
        prefix=hashing.display_prefix(secret),
        key_hash=hashing.hash_key(secret, policy.hash_secret),
        user_id=owner.id if owner.type == "user" else None,
        organization_id=owner.id if owner.type == "team" else None,
        created_by=user.id,
        scopes=list(body.scopes),
        datasets=list(body.datasets) if body.datasets is not None else None,
        rate_limit_per_minute=body.rate_limit_per_minute or policy.default_rate_limit_per_minute,
        spend_cap=body.spend_cap,
        spend_cap_period=body.spend_cap_period,
        expires_at=body.expires_at,
        created_at=now,
        updated_at=now,
    )
    await repository.add(db, key)
    return key, secret


async def list_keys(
    db: AsyncSession,
    user: User,
    *,
    organization_id: str | None,
    include_revoked: bool,
    limit: int,
    offset: int,
) -> tuple[Sequence[ApiKey], int]:
    owner = (
        await _team_owner(db, user, organization_id)
        if organization_id is not None
        else Owner("user", user.id)
    )
    return await repository.list_for_owner(
        db, owner.type, owner.id, include_revoked=include_revoked, limit=limit, offset=offset
    )


async def get(db: AsyncSession, user: User, api_key_id: str) -> ApiKey:
    return await _manageable(db, user, api_key_id)


async def update(db: AsyncSession, user: User, api_key_id: str, body: ApiKeyUpdateIn) -> ApiKey:
    key = await _manageable(db, user, api_key_id)
    if key.revoked_at is not None:
        raise Conflict("A revoked API key cannot be changed.", code="api_key_revoked")
    changes = body.model_fields_set
    if "scopes" in changes and body.scopes is not None:
        _check_scopes(user, [s for s in body.scopes if s not in key.scopes])
        key.scopes = list(body.scopes)
    if "name" in changes and body.name is not None:
        key.name = body.name
    if "datasets" in changes:
        key.datasets = list(body.datasets) if body.datasets is not None else None
    if "expires_at" in changes:
        key.expires_at = body.expires_at
    if "rate_limit_per_minute" in changes and body.rate_limit_per_minute is not None:
        key.rate_limit_per_minute = body.rate_limit_per_minute
    if "spend_cap" in changes:
        key.spend_cap = body.spend_cap
        if body.spend_cap is None:
            key.spend_cap_period = None
        elif key.spend_cap_period is None and "spend_cap_period" not in changes:
            key.spend_cap_period = "month"
    if "spend_cap_period" in changes and body.spend_cap_period is not None:
        if key.spend_cap is None:
            raise ValidationFailed(
                "spend_cap_period needs a spend_cap.",
                fields=[
                    {
                        "loc": ["body", "spend_cap_period"],
                        "msg": "spend_cap_period needs a spend_cap",
                        "type": "value_error",
                    }
                ],
            )
        key.spend_cap_period = body.spend_cap_period
    key.updated_at = utcnow()
    await db.flush()
    return key


async def revoke(db: AsyncSession, user: User, api_key_id: str) -> tuple[ApiKey, bool]:
    """Revoke at once; (the key, whether this call revoked it). Revoking twice is a no-op."""
    key = await _manageable(db, user, api_key_id)
    if key.revoked_at is not None:
        return key, False
    now = utcnow()
    key.revoked_at = now
    key.updated_at = now
    await db.flush()
    # The key's credit pool goes back to its owner in the same transaction.
    await credits.return_key_pool(db, key.id, actor=user.id)
    return key, True


async def verify(
    db: AsyncSession, presented: str, hash_secret: str, recorder: UsageRecorder | None = None
) -> VerifiedKey | None:
    """The usable key behind ``presented``; None when unknown, revoked, expired, or its
    owner is banned. Found through the hash's unique index: no secret is compared here."""
    if not hashing.looks_like_key(presented):
        return None
    key = await repository.get_by_hash(db, hashing.hash_key(presented, hash_secret))
    verified = await _usable(db, key)
    if verified is not None and recorder is not None:
        recorder.record(verified.key.id, utcnow())
    return verified


async def active_key(db: AsyncSession, api_key_id: str) -> VerifiedKey | None:
    """The key with this id if it is usable now (for entitlement checks by id)."""
    return await _usable(db, await repository.get(db, api_key_id))


async def _usable(db: AsyncSession, key: ApiKey | None) -> VerifiedKey | None:
    now = utcnow()
    if key is None or status_of(key, now) != "active":
        return None
    user: User | None = None
    if key.user_id is not None:
        user = await users.get(db, key.user_id)
        if user is None or is_banned(user, now):
            return None
    return VerifiedKey(key, user)
