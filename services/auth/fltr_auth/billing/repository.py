"""SQL of billing. Upserts merge facts so that the order events arrive in does not matter:
a subscription keeps the state of the newest event, a purchase's status only moves forward
(pending -> paid or failed; paid is final), refunded and disputed cents only grow."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, case, func, literal, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.billing.models import (
    BillingReversal,
    CuratorEarning,
    CuratorPayoutAccount,
    Purchase,
    StripeEvent,
    Subscription,
)
from fltr_auth.teams.models import Member
from fltr_auth.users.models import User

subscriptions = cast(Table, Subscription.__table__)
purchases = cast(Table, Purchase.__table__)
reversals = cast(Table, BillingReversal.__table__)
events = cast(Table, StripeEvent.__table__)

ENTITLING_STATES = ("active", "trialing")
# When two events about one subscription carry the same second, the later state in a
# subscription's life wins, so the outcome does not depend on which was delivered first.
STATUS_RANK = {
    "incomplete": 0,
    "trialing": 1,
    "active": 2,
    "past_due": 3,
    "paused": 3,
    "unpaid": 4,
    "incomplete_expired": 5,
    "canceled": 6,
}


def _insert(db: AsyncSession, table: Table) -> Any:
    if db.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _rank(column: Any) -> Any:
    return case(
        *((column == status, rank) for status, rank in STATUS_RANK.items()),
        else_=0,
    )


# ---- serializing the handlers of one payment


async def lock_key(db: AsyncSession, key: str) -> None:
    """Hold a transaction-scoped lock on ``key`` (a payment intent, a user's plan).

    A refund and the payment it refunds may be handled at the same moment; each reads what
    the other writes, so under READ COMMITTED both could miss each other. Taking this lock
    first makes the second wait for the first's commit and then see it. SQLite runs one
    writer at a time anyway.
    """
    if db.get_bind().dialect.name == "postgresql":
        await db.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
        )


# ---- events


async def record_event(db: AsyncSession, event_id: str, kind: str, created: int) -> bool:
    """Store an event id; False when it was stored before (a redelivery)."""
    statement = (
        _insert(db, events)
        .values(id=event_id, type=kind, created=created)
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(events.c.id)
    )
    return (await db.execute(statement)).first() is not None


# ---- users and customers


async def get_user(db: AsyncSession, user_id: str) -> User | None:
    return await db.get(User, user_id)


async def user_for_customer(db: AsyncSession, customer_id: str) -> str | None:
    found = await db.execute(select(User.id).where(User.stripe_customer_id == customer_id))
    return found.scalar_one_or_none()


async def set_customer(db: AsyncSession, user_id: str, customer_id: str) -> str:
    """Store the customer unless another request stored one first; the stored one wins."""
    await db.execute(
        update(User)
        .where(User.id == user_id, User.stripe_customer_id.is_(None))
        .values(stripe_customer_id=customer_id)
    )
    stored = await db.execute(select(User.stripe_customer_id).where(User.id == user_id))
    return stored.scalar_one() or customer_id


# ---- subscriptions


async def upsert_subscription(db: AsyncSession, values: dict[str, Any]) -> None:
    """Insert, or overwrite with ``values`` if its event is newer (ties: later status)."""
    insert = _insert(db, subscriptions).values(values)
    changed = {k: insert.excluded[k] for k in values if k not in ("id", "created_at")}
    current, incoming = subscriptions.c.stripe_event_created, insert.excluded.stripe_event_created
    newer = or_(
        current < incoming,
        and_(
            current == incoming,
            _rank(subscriptions.c.status) <= _rank(insert.excluded.status),
        ),
    )
    statement = insert.on_conflict_do_update(
        index_elements=["stripe_subscription_id"], set_=changed, where=newer
    )
    await db.execute(statement)


async def has_active_dataset_subscription(
    db: AsyncSession, reference_ids: Sequence[str], dataset_id: str, now: datetime
) -> bool:
    query = select(subscriptions.c.id).where(
        subscriptions.c.reference_id.in_(list(reference_ids)),
        subscriptions.c.kind == "dataset",
        subscriptions.c.dataset_id == dataset_id,
        subscriptions.c.status.in_(ENTITLING_STATES),
        or_(subscriptions.c.period_end.is_(None), subscriptions.c.period_end > now),
    )
    return (await db.execute(query.limit(1))).first() is not None


async def active_plan(db: AsyncSession, reference_id: str, now: datetime) -> str | None:
    """The plan of the owner's newest active plan subscription, if any."""
    query = (
        select(subscriptions.c.plan)
        .where(
            subscriptions.c.reference_id == reference_id,
            subscriptions.c.kind == "plan",
            subscriptions.c.status.in_(ENTITLING_STATES),
            or_(subscriptions.c.period_end.is_(None), subscriptions.c.period_end > now),
        )
        .order_by(subscriptions.c.period_start.desc())
        .limit(1)
    )
    return (await db.execute(query)).scalar_one_or_none()


async def team_owner_ids(db: AsyncSession, organization_id: str) -> list[str]:
    """Members whose roles (comma-separated, as Better Auth stores them) include owner."""
    roles = literal(",") + Member.role + literal(",")
    query = select(Member.user_id).where(
        Member.organization_id == organization_id, roles.like("%,owner,%")
    )
    return list((await db.execute(query.order_by(Member.user_id))).scalars())


async def list_subscriptions(db: AsyncSession, reference_id: str) -> list[Subscription]:
    query = (
        select(Subscription)
        .where(Subscription.reference_id == reference_id)
        .order_by(Subscription.created_at.desc())
    )
    return list((await db.execute(query)).scalars())


# ---- purchases


async def upsert_purchase(db: AsyncSession, values: dict[str, Any]) -> None:
    """Insert a purchase or merge what this event says: status only moves forward, facts
    already known stay (every event about one payment says the same about it)."""
    insert = _insert(db, purchases).values(values)
    merged: dict[str, Any] = {
        "status": case(
            (purchases.c.status == "paid", "paid"),
            (insert.excluded.status == "pending", purchases.c.status),
            else_=insert.excluded.status,
        ),
        # what was paid is what the paying event says (a failed attempt said what was due)
        "amount_cents": case(
            (insert.excluded.status == "paid", insert.excluded.amount_cents),
            else_=purchases.c.amount_cents,
        ),
        "updated_at": insert.excluded.updated_at,
    }
    for name in ("stripe_payment_intent_id", "stripe_subscription_id", "period_start"):
        if name in values:
            merged[name] = func.coalesce(purchases.c[name], insert.excluded[name])
    statement = insert.on_conflict_do_update(index_elements=["source_id"], set_=merged)
    await db.execute(statement)


async def lock_purchase(db: AsyncSession, source_id: str) -> Purchase | None:
    query = select(Purchase).where(Purchase.source_id == source_id).with_for_update()
    return (await db.execute(query)).scalar_one_or_none()


async def purchase_sources_for_payment_intent(db: AsyncSession, payment_intent: str) -> list[str]:
    query = select(Purchase.source_id).where(Purchase.stripe_payment_intent_id == payment_intent)
    return list((await db.execute(query)).scalars())


async def newest_plan_period_end(
    db: AsyncSession, user_id: str, other_than: str
) -> datetime | None:
    """The latest period end among the owner's other paid plan invoices."""
    query = select(func.max(Purchase.period_end)).where(
        Purchase.user_id == user_id,
        Purchase.kind == "plan_invoice",
        Purchase.status == "paid",
        Purchase.source_id != other_than,
    )
    return (await db.execute(query)).scalar_one_or_none()


async def has_paid_purchase(db: AsyncSession, user_ids: Sequence[str], dataset_id: str) -> bool:
    query = select(Purchase.id).where(
        Purchase.user_id.in_(list(user_ids)),
        Purchase.dataset_id == dataset_id,
        Purchase.kind == "dataset_purchase",
        Purchase.status == "paid",
        Purchase.reversed_cents < Purchase.amount_cents,
    )
    return (await db.execute(query.limit(1))).first() is not None


# ---- refunds and disputes


async def add_reversal(
    db: AsyncSession,
    charge_id: str,
    payment_intent: str | None,
    *,
    refunded: int | None = None,
    disputed: int | None = None,
    now: datetime,
) -> None:
    """Record what a charge has had refunded or disputed so far (amounts only grow)."""
    insert = _insert(db, reversals).values(
        stripe_charge_id=charge_id,
        stripe_payment_intent_id=payment_intent,
        refunded_cents=refunded or 0,
        disputed_cents=disputed or 0,
        updated_at=now,
    )
    merged: dict[str, Any] = {
        "stripe_payment_intent_id": func.coalesce(
            reversals.c.stripe_payment_intent_id, insert.excluded.stripe_payment_intent_id
        ),
        "updated_at": insert.excluded.updated_at,
    }
    for name, value in (("refunded_cents", refunded), ("disputed_cents", disputed)):
        if value is not None:
            merged[name] = case(
                (reversals.c[name] < insert.excluded[name], insert.excluded[name]),
                else_=reversals.c[name],
            )
    statement = insert.on_conflict_do_update(index_elements=["stripe_charge_id"], set_=merged)
    await db.execute(statement)


async def reversed_cents(db: AsyncSession, payment_intent: str) -> int:
    query = select(
        func.coalesce(func.sum(reversals.c.refunded_cents + reversals.c.disputed_cents), 0)
    ).where(reversals.c.stripe_payment_intent_id == payment_intent)
    return int((await db.execute(query)).scalar_one())


# ---- earnings


async def earning_for(db: AsyncSession, purchase_id: str) -> CuratorEarning | None:
    query = select(CuratorEarning).where(CuratorEarning.purchase_id == purchase_id)
    return (await db.execute(query.with_for_update())).scalar_one_or_none()


async def list_earnings(
    db: AsyncSession, curator_id: str, limit: int, offset: int
) -> tuple[list[CuratorEarning], int]:
    rule = CuratorEarning.curator_id == curator_id
    total = await db.execute(select(func.count()).select_from(CuratorEarning).where(rule))
    query = (
        select(CuratorEarning)
        .where(rule)
        .order_by(CuratorEarning.created_at.desc(), CuratorEarning.id)
        .limit(limit)
        .offset(offset)
    )
    return list((await db.execute(query)).scalars()), int(total.scalar_one())


async def earning_totals(db: AsyncSession, curator_id: str) -> dict[str, int]:
    """Net cents per payout status."""
    query = (
        select(
            CuratorEarning.payout_status,
            func.sum(CuratorEarning.amount_cents - CuratorEarning.reversed_cents),
        )
        .where(CuratorEarning.curator_id == curator_id)
        .group_by(CuratorEarning.payout_status)
    )
    return {row[0]: int(row[1] or 0) for row in await db.execute(query)}


async def claim_payable(db: AsyncSession, limit: int) -> list[CuratorEarning]:
    """Pending earnings with something left to pay, locked (others skip them)."""
    query = (
        select(CuratorEarning)
        .where(
            CuratorEarning.payout_status.in_(("pending", "processing", "failed")),
            CuratorEarning.amount_cents > CuratorEarning.reversed_cents,
        )
        .order_by(CuratorEarning.created_at, CuratorEarning.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await db.execute(query)).scalars())


async def reversed_after_payout(db: AsyncSession, limit: int) -> list[CuratorEarning]:
    """Paid earnings whose purchase was refunded since, by more than was taken back."""
    query = (
        select(CuratorEarning)
        .where(
            CuratorEarning.payout_status == "paid",
            CuratorEarning.stripe_transfer_id.is_not(None),
            CuratorEarning.reversed_cents > CuratorEarning.transfer_reversed_cents,
        )
        .order_by(CuratorEarning.created_at, CuratorEarning.id)
        .limit(limit)
    )
    return list((await db.execute(query)).scalars())


async def lock_earning(db: AsyncSession, earning_id: str) -> CuratorEarning | None:
    query = select(CuratorEarning).where(CuratorEarning.id == earning_id).with_for_update()
    return (await db.execute(query)).scalar_one_or_none()


async def payout_account(db: AsyncSession, curator_id: str) -> str | None:
    found = await db.get(CuratorPayoutAccount, curator_id)
    return found.stripe_account_id if found else None


async def set_payout_account(
    db: AsyncSession, curator_id: str, account_id: str, now: datetime
) -> None:
    insert = _insert(db, cast(Table, CuratorPayoutAccount.__table__)).values(
        curator_id=curator_id, stripe_account_id=account_id, updated_at=now
    )
    statement = insert.on_conflict_do_update(
        index_elements=["curator_id"],
        set_={"stripe_account_id": account_id, "updated_at": now},
    )
    await db.execute(statement)
