"""Plan limits (seed 002's tiers): which plan an owner is on, what it allows, what is used.

An owner is on the plan of its newest active plan subscription, else on "free". Limits are
enforced only while billing is on (without Stripe nobody could upgrade past them). The auth
service counts and enforces what it owns (API keys); the content service asks
``/internal/v1/billing/limits`` and enforces datasets, documents, storage and searches.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.api_keys import repository as api_keys
from fltr_auth.billing import repository
from fltr_auth.billing.config import FREE_PLAN, LIMIT_NAMES, Plan
from fltr_auth.billing.errors import PlanLimitReached
from fltr_auth.billing.policy import BillingPolicy
from fltr_auth.teams import repository as teams
from fltr_shared.db import utcnow

OwnerType = Literal["user", "team"]


async def plan_of(
    db: AsyncSession, owner_id: str, policy: BillingPolicy, now: datetime | None = None
) -> tuple[str, Plan]:
    """The plan of an owner's own active plan subscription, else free."""
    name = await repository.active_plan(db, owner_id, now or utcnow())
    if name is None or name not in policy.catalog.plans:
        name = FREE_PLAN
    return name, policy.catalog.plan(name)


def _seats(entry: tuple[str, Plan]) -> float:
    seats = entry[1].limits.team_seats
    return math.inf if seats is None else seats


async def plan_for(
    db: AsyncSession,
    owner_type: OwnerType,
    owner_id: str,
    policy: BillingPolicy,
    now: datetime | None = None,
) -> tuple[str, Plan]:
    """A user's plan; a team's own plan or, when better, its owners' (plans are bought by
    users: a team is on the best plan among its own and its owners')."""
    now = now or utcnow()
    own = await plan_of(db, owner_id, policy, now)
    if owner_type == "user":
        return own
    candidates = [own]
    for user_id in await repository.team_owner_ids(db, owner_id):
        candidates.append(await plan_of(db, user_id, policy, now))
    return max(candidates, key=_seats)


async def enforce(
    db: AsyncSession,
    policy: BillingPolicy | None,
    limit: str,
    owner_type: OwnerType,
    owner_id: str,
    used: int,
) -> None:
    """403 ``plan_limit_reached`` when ``used`` already reaches the owner's ``limit``."""
    assert limit in LIMIT_NAMES
    if policy is None or not policy.enabled:
        return
    name, plan = await plan_for(db, owner_type, owner_id, policy)
    allowed = getattr(plan.limits, limit)
    if allowed is not None and used >= allowed:
        raise PlanLimitReached(limit, allowed, name)


async def auth_usage(
    db: AsyncSession, owner_type: OwnerType, owner_id: str, now: datetime
) -> dict[str, int | None]:
    """What the auth service counts itself; the rest is the content service's to count."""
    usage: dict[str, int | None] = dict.fromkeys(LIMIT_NAMES)
    usage["api_keys"] = await api_keys.count_active(db, owner_type, owner_id, now)
    if owner_type == "team":
        usage["team_seats"] = await teams.count_members(db, owner_id)
    return usage
