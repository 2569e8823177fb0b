"""Billing tables. Stripe is the source of truth: each row is FLTR's copy of what the
latest event said, with the event's time kept so an older event never overwrites a newer one.

- ``subscriptions``: Better Auth's Stripe plugin columns (snake_case) plus ``dataset_id`` and
  ``kind`` (a platform plan or one premium dataset); ``reference_id`` is the user (or team).
- ``stripe_events``: each event id once; a redelivery is acknowledged and skipped.
- ``purchases``: every payment that bought something (credit pack, dataset, invoice of a
  subscription), with what it granted and what refunds and disputes took back.
- ``billing_reversals``: refunds and disputes per charge, kept even when they arrive before
  the payment they reverse (the payment applies them when it lands).
- ``curator_earnings``: the curator's share of each paid premium purchase or invoice.
- ``curator_payout_accounts``: the Stripe Connect account each curator is paid to.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from fltr_auth.db import Base
from fltr_shared.db import UTCDateTime, utcnow

PURCHASE_KINDS = ("credit_pack", "dataset_purchase", "plan_invoice", "dataset_invoice")
PURCHASE_STATES = ("pending", "paid", "failed")
PAYOUT_STATES = ("pending", "processing", "paid", "failed", "reversed")


def _created() -> Mapped[datetime]:
    return mapped_column(UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP"))


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint("kind IN ('plan', 'dataset')", name="kind"),
        Index("subscriptions_reference_idx", "reference_id", "status"),
        Index("subscriptions_dataset_idx", "dataset_id"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    plan: Mapped[str] = mapped_column(Text)  # a plan's name, or "dataset" for a dataset's
    reference_id: Mapped[str] = mapped_column(Text)  # the subscriber (user or team id)
    stripe_customer_id: Mapped[str | None] = mapped_column(Text)
    stripe_subscription_id: Mapped[str] = mapped_column(Text, unique=True)
    status: Mapped[str] = mapped_column(Text, server_default=text("'incomplete'"))
    period_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    trial_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    trial_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    cancel_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    canceled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seats: Mapped[int | None] = mapped_column(Integer)
    billing_interval: Mapped[str | None] = mapped_column(Text)
    stripe_schedule_id: Mapped[str | None] = mapped_column(Text)
    # FLTR's own
    kind: Mapped[str] = mapped_column(Text, server_default=text("'plan'"))
    dataset_id: Mapped[str | None] = mapped_column(Text)
    curator_id: Mapped[str | None] = mapped_column(Text)  # the dataset's owner
    price_id: Mapped[str | None] = mapped_column(Text)
    stripe_event_created: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()


class StripeEvent(Base):
    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(Text, primary_key=True)  # Stripe's event id
    type: Mapped[str] = mapped_column(Text)
    created: Mapped[int] = mapped_column(BigInteger)  # the event's Unix time
    processed_at: Mapped[datetime] = _created()


class Purchase(Base):
    __tablename__ = "purchases"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('credit_pack', 'dataset_purchase', 'plan_invoice', 'dataset_invoice')",
            name="kind",
        ),
        CheckConstraint("status IN ('pending', 'paid', 'failed')", name="status"),
        CheckConstraint("reversed_cents >= 0", name="reversed_not_negative"),
        Index("purchases_payment_intent_idx", "stripe_payment_intent_id"),
        Index("purchases_user_dataset_idx", "user_id", "dataset_id"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    # the Stripe object it comes from: a Checkout Session or an invoice (unique)
    source_id: Mapped[str] = mapped_column(Text, unique=True)
    kind: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default=text("'pending'"))
    user_id: Mapped[str] = mapped_column(Text)  # who paid (or the team, for a team plan)
    dataset_id: Mapped[str | None] = mapped_column(Text)
    curator_id: Mapped[str | None] = mapped_column(Text)
    plan: Mapped[str | None] = mapped_column(Text)
    stripe_subscription_id: Mapped[str | None] = mapped_column(Text)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(Text)
    amount_cents: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    currency: Mapped[str] = mapped_column(Text, server_default=text("'usd'"))
    credits: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    period_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reversed_cents: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    credits_clawed_back: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    credits_shortfall: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()


class BillingReversal(Base):
    """Refunded and disputed cents of one charge (cumulative, so replays change nothing)."""

    __tablename__ = "billing_reversals"
    __table_args__ = (Index("billing_reversals_payment_intent_idx", "stripe_payment_intent_id"),)

    stripe_charge_id: Mapped[str] = mapped_column(Text, primary_key=True)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(Text)
    refunded_cents: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    disputed_cents: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    updated_at: Mapped[datetime] = _created()


class CuratorEarning(Base):
    __tablename__ = "curator_earnings"
    __table_args__ = (
        CheckConstraint(
            "payout_status IN ('pending', 'processing', 'paid', 'failed', 'reversed')",
            name="payout_status",
        ),
        CheckConstraint("reversed_cents >= 0 AND reversed_cents <= amount_cents", name="reversed"),
        Index("curator_earnings_curator_idx", "curator_id", "created_at"),
        Index("curator_earnings_status_idx", "payout_status"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    purchase_id: Mapped[str] = mapped_column(
        Text, ForeignKey("purchases.id", ondelete="CASCADE"), unique=True
    )
    curator_id: Mapped[str] = mapped_column(Text)
    dataset_id: Mapped[str | None] = mapped_column(Text)
    subscription_id: Mapped[str | None] = mapped_column(Text)  # the Stripe subscription
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    reversed_cents: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    currency: Mapped[str] = mapped_column(Text)
    revenue_share_percentage: Mapped[float] = mapped_column(Float)
    payout_status: Mapped[str] = mapped_column(Text, server_default=text("'pending'"))
    stripe_transfer_id: Mapped[str | None] = mapped_column(Text)
    # reversed cents settled with the curator: left out of the transfer, or taken back
    # from it by a transfer reversal afterwards
    transfer_reversed_cents: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    period_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = _created()
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CuratorPayoutAccount(Base):
    __tablename__ = "curator_payout_accounts"

    curator_id: Mapped[str] = mapped_column(Text, primary_key=True)  # a user or a team
    stripe_account_id: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = _created()
