"""Billing: subscriptions (Better Auth Stripe plugin columns), stripe_events, purchases,
billing_reversals, curator_earnings, curator_payout_accounts

Revision ID: auth_0006
Revises: auth_0005
Create Date: 2026-11-24 14:21:13.727395
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "auth_0006"
down_revision: str | None = "auth_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "billing_reversals",
        sa.Column("stripe_charge_id", sa.Text(), nullable=False),
        sa.Column("stripe_payment_intent_id", sa.Text(), nullable=True),
        sa.Column("refunded_cents", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("disputed_cents", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("stripe_charge_id", name=op.f("pk_billing_reversals")),
    )
    with op.batch_alter_table("billing_reversals", schema=None) as batch_op:
        batch_op.create_index(
            "billing_reversals_payment_intent_idx", ["stripe_payment_intent_id"], unique=False
        )

    op.create_table(
        "purchases",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("dataset_id", sa.Text(), nullable=True),
        sa.Column("curator_id", sa.Text(), nullable=True),
        sa.Column("plan", sa.Text(), nullable=True),
        sa.Column("stripe_subscription_id", sa.Text(), nullable=True),
        sa.Column("stripe_payment_intent_id", sa.Text(), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("currency", sa.Text(), server_default=sa.text("'usd'"), nullable=False),
        sa.Column("credits", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reversed_cents", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "credits_clawed_back", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "credits_shortfall", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('credit_pack', 'dataset_purchase', 'plan_invoice', 'dataset_invoice')",
            name=op.f("ck_purchases_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'paid', 'failed')", name=op.f("ck_purchases_status")
        ),
        sa.CheckConstraint("reversed_cents >= 0", name=op.f("ck_purchases_reversed_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchases")),
        sa.UniqueConstraint("source_id", name=op.f("uq_purchases_source_id")),
    )
    with op.batch_alter_table("purchases", schema=None) as batch_op:
        batch_op.create_index(
            "purchases_payment_intent_idx", ["stripe_payment_intent_id"], unique=False
        )
        batch_op.create_index("purchases_user_dataset_idx", ["user_id", "dataset_id"], unique=False)

    op.create_table(
        "stripe_events",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column(
            "processed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_events")),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("reference_id", sa.Text(), nullable=False),
        sa.Column("stripe_customer_id", sa.Text(), nullable=True),
        sa.Column("stripe_subscription_id", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'incomplete'"), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("trial_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("trial_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "cancel_at_period_end", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("cancel_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("canceled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seats", sa.Integer(), nullable=True),
        sa.Column("billing_interval", sa.Text(), nullable=True),
        sa.Column("stripe_schedule_id", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), server_default=sa.text("'plan'"), nullable=False),
        sa.Column("dataset_id", sa.Text(), nullable=True),
        sa.Column("curator_id", sa.Text(), nullable=True),
        sa.Column("price_id", sa.Text(), nullable=True),
        sa.Column(
            "stripe_event_created", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.CheckConstraint("kind IN ('plan', 'dataset')", name=op.f("ck_subscriptions_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint(
            "stripe_subscription_id", name=op.f("uq_subscriptions_stripe_subscription_id")
        ),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index("subscriptions_dataset_idx", ["dataset_id"], unique=False)
        batch_op.create_index(
            "subscriptions_reference_idx", ["reference_id", "status"], unique=False
        )

    op.create_table(
        "curator_earnings",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("purchase_id", sa.Text(), nullable=False),
        sa.Column("curator_id", sa.Text(), nullable=False),
        sa.Column("dataset_id", sa.Text(), nullable=True),
        sa.Column("subscription_id", sa.Text(), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("reversed_cents", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("revenue_share_percentage", sa.Float(), nullable=False),
        sa.Column("payout_status", sa.Text(), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("stripe_transfer_id", sa.Text(), nullable=True),
        sa.Column(
            "transfer_reversed_cents", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "payout_status IN ('pending', 'processing', 'paid', 'failed', 'reversed')",
            name=op.f("ck_curator_earnings_payout_status"),
        ),
        sa.CheckConstraint(
            "reversed_cents >= 0 AND reversed_cents <= amount_cents",
            name=op.f("ck_curator_earnings_reversed"),
        ),
        sa.ForeignKeyConstraint(
            ["purchase_id"],
            ["purchases.id"],
            name=op.f("fk_curator_earnings_purchase_id_purchases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_curator_earnings")),
        sa.UniqueConstraint("purchase_id", name=op.f("uq_curator_earnings_purchase_id")),
    )
    with op.batch_alter_table("curator_earnings", schema=None) as batch_op:
        batch_op.create_index(
            "curator_earnings_curator_idx", ["curator_id", "created_at"], unique=False
        )
        batch_op.create_index("curator_earnings_status_idx", ["payout_status"], unique=False)

    op.create_table(
        "curator_payout_accounts",
        sa.Column("curator_id", sa.Text(), nullable=False),
        sa.Column("stripe_account_id", sa.Text(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("curator_id", name=op.f("pk_curator_payout_accounts")),
    )


def downgrade() -> None:
    op.drop_table("curator_payout_accounts")
    with op.batch_alter_table("curator_earnings", schema=None) as batch_op:
        batch_op.drop_index("curator_earnings_status_idx")
        batch_op.drop_index("curator_earnings_curator_idx")

    op.drop_table("curator_earnings")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index("subscriptions_reference_idx")
        batch_op.drop_index("subscriptions_dataset_idx")

    op.drop_table("subscriptions")
    op.drop_table("stripe_events")
    with op.batch_alter_table("purchases", schema=None) as batch_op:
        batch_op.drop_index("purchases_user_dataset_idx")
        batch_op.drop_index("purchases_payment_intent_idx")

    op.drop_table("purchases")
    with op.batch_alter_table("billing_reversals", schema=None) as batch_op:
        batch_op.drop_index("billing_reversals_payment_intent_idx")

    op.drop_table("billing_reversals")
