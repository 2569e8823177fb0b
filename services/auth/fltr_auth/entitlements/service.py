"""Who may use a dataset.

- A key is checked against its dataset allowlist first, then acts as its owner: a user's
  key as that user (site-admin rights only with the ``admin`` scope), a team's key as a
  member of that team.
- public + free: allowed. Otherwise the owner, a member of the owning team, or a site admin;
  and a paid dataset (not private) also to whoever has an active subscription to it (status
  active or trialing, period not ended) or has bought it (paid, not refunded), themselves or
  (for a team's key) their team.

Never commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.api_keys import service as api_keys
from fltr_auth.billing import repository as billing
from fltr_auth.entitlements.schemas import EntitlementCheckIn, Reason
from fltr_auth.sessions.service import is_banned
from fltr_auth.teams import service as teams
from fltr_auth.users import service as users
from fltr_shared.db import utcnow


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: Reason


@dataclass(frozen=True)
class _Principal:
    user_id: str | None  # None for a team's key
    team_id: str | None  # set for a team's key
    admin: bool


async def _principal(db: AsyncSession, check: EntitlementCheckIn) -> _Principal | Decision:
    if check.api_key_id is not None:
        verified = await api_keys.active_key(db, check.api_key_id)
        if verified is None:
            return Decision(False, "invalid_api_key")
        allowlist = verified.key.datasets
        if allowlist is not None and not (
            check.dataset_id in allowlist
            or (check.dataset_slug is not None and check.dataset_slug in allowlist)
        ):
            return Decision(False, "not_in_allowlist")
        if verified.user is None:
            return _Principal(None, verified.owner.id, admin=False)
        admin = verified.user.role == "admin" and verified.has_scope("admin")
        return _Principal(verified.user.id, None, admin=admin)
    assert check.user_id is not None
    user = await users.get(db, check.user_id)
    if user is None or is_banned(user, utcnow()):
        return Decision(False, "unknown_user")
    return _Principal(user.id, None, admin=user.role == "admin")


async def check(db: AsyncSession, request: EntitlementCheckIn) -> Decision:
    principal = await _principal(db, request)
    if isinstance(principal, Decision):
        return principal
    if request.visibility == "public" and request.pricing_model == "free":
        return Decision(True, "public")
    if request.owner_type == "user":
        if principal.user_id == request.owner_id:
            return Decision(True, "owner")
    elif principal.team_id == request.owner_id or (
        principal.user_id is not None
        and await teams.member_role(db, request.owner_id, principal.user_id) is not None
    ):
        return Decision(True, "team_member")
    if principal.admin:
        return Decision(True, "admin")
    if request.visibility == "private":
        return Decision(False, "private")
    subscribers = [i for i in (principal.user_id, principal.team_id) if i is not None]
    if await billing.has_active_dataset_subscription(db, subscribers, request.dataset_id, utcnow()):
        return Decision(True, "subscribed")
    if await billing.has_paid_purchase(db, subscribers, request.dataset_id):
        return Decision(True, "purchased")
    return Decision(False, "premium")
