"""Billing's reading side and the entry points the routers call. Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import stripe
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.billing import checkout as checkouts
from fltr_auth.billing import limits, repository, webhooks
from fltr_auth.billing.checkout import CheckoutLink
from fltr_auth.billing.config import PlanLimits
from fltr_auth.billing.models import CuratorEarning, Subscription
from fltr_auth.billing.policy import BillingPolicy
from fltr_auth.billing.schemas import CheckoutIn, DatasetCheckoutIn
from fltr_auth.credits.ledger import period_bounds
from fltr_auth.users.models import User
from fltr_shared.db import utcnow

__all__ = [
    "CheckoutLink",
    "Limits",
    "Usage",
    "checkout",
    "dataset_checkout",
    "earnings",
    "handle_webhook",
    "limits_of",
    "portal",
    "set_payout_account",
    "subscriptions",
    "usage",
]


@dataclass(frozen=True)
class Limits:
    plan: str
    limits: PlanLimits
    enforced: bool


@dataclass(frozen=True)
class Usage:
    plan: str
    period: tuple[datetime, datetime]
    enforced: bool
    items: dict[str, tuple[int | None, int | None]]


async def checkout(
    db: AsyncSession,
    client: stripe.StripeClient,
    user: User,
    body: CheckoutIn,
    policy: BillingPolicy,
) -> CheckoutLink:
    return await checkouts.checkout(db, client, user, body, policy)


async def dataset_checkout(
    db: AsyncSession, client: stripe.StripeClient, body: DatasetCheckoutIn, policy: BillingPolicy
) -> CheckoutLink:
    return await checkouts.dataset_checkout(db, client, body, policy)


async def portal(
    db: AsyncSession, client: stripe.StripeClient, user: User, policy: BillingPolicy
) -> str:
    return await checkouts.portal(db, client, user, policy)


async def handle_webhook(
    db: AsyncSession, raw: bytes, signature: str | None, secret: str, policy: BillingPolicy
) -> webhooks.Outcome:
    event = webhooks.verify(raw, signature, secret)
    return await webhooks.apply(db, event, policy)


async def subscriptions(db: AsyncSession, user_id: str) -> list[Subscription]:
    return await repository.list_subscriptions(db, user_id)


async def earnings(
    db: AsyncSession, curator_id: str, limit: int, offset: int
) -> tuple[list[CuratorEarning], int, dict[str, int]]:
    rows, total = await repository.list_earnings(db, curator_id, limit, offset)
    return rows, total, await repository.earning_totals(db, curator_id)


async def limits_of(
    db: AsyncSession, owner_type: Literal["user", "team"], owner_id: str, policy: BillingPolicy
) -> Limits:
    name, plan = await limits.plan_for(db, owner_type, owner_id, policy)
    return Limits(name, plan.limits, policy.enabled)


async def usage(
    db: AsyncSession,
    owner_type: Literal["user", "team"],
    owner_id: str,
    policy: BillingPolicy,
) -> Usage:
    now = utcnow()
    name, plan = await limits.plan_for(db, owner_type, owner_id, policy, now)
    used = await limits.auth_usage(db, owner_type, owner_id, now)
    allowed = plan.limits.model_dump()
    return Usage(
        plan=name,
        period=period_bounds("month", now),
        enforced=policy.enabled,
        items={limit: (used[limit], allowed[limit]) for limit in used},
    )


async def set_payout_account(db: AsyncSession, curator_id: str, account_id: str) -> None:
    await repository.set_payout_account(db, curator_id, account_id, utcnow())
