"""API keys and the credit ledger: accounts, operations (idempotency), transactions, holds

Also: triggers that make credit_transactions append-only, and the api_key_credits view.

Revision ID: auth_0005
Revises: auth_0004
Create Date: 2026-11-24 11:21:19.190823
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "auth_0005"
down_revision: str | None = "auth_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("prefix", sa.Text(), nullable=False),
        sa.Column("key_hash", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=True),
        sa.Column("organization_id", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("datasets", sa.JSON(), nullable=True),
        sa.Column("rate_limit_per_minute", sa.Integer(), nullable=True),
        sa.Column("spend_cap", sa.Integer(), nullable=True),
        sa.Column("spend_cap_period", sa.Text(), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
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
            "spend_cap_period IS NULL OR spend_cap_period IN ('day', 'week', 'month')",
            name=op.f("ck_api_keys_spend_cap_period"),
        ),
        sa.CheckConstraint(
            "(user_id IS NULL) <> (organization_id IS NULL)", name=op.f("ck_api_keys_one_owner")
        ),
        sa.CheckConstraint(
            "rate_limit_per_minute IS NULL OR rate_limit_per_minute > 0",
            name=op.f("ck_api_keys_rate"),
        ),
        sa.CheckConstraint(
            "spend_cap IS NULL OR spend_cap > 0", name=op.f("ck_api_keys_spend_cap")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_api_keys_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_keys_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index("api_keys_organization_id_idx", ["organization_id"], unique=False)
        batch_op.create_index("api_keys_user_id_idx", ["user_id"], unique=False)

    op.create_table(
        "credit_accounts",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=True),
        sa.Column("organization_id", sa.Text(), nullable=True),
        sa.Column("api_key_id", sa.Text(), nullable=True),
        sa.Column("allowance", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("purchased", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("reserved", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("total_purchased", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("allowance_resets_at", sa.DateTime(timezone=True), nullable=True),
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
            "(CASE WHEN user_id IS NULL THEN 0 ELSE 1 END + CASE WHEN organization_id IS NULL THEN 0 ELSE 1 END + CASE WHEN api_key_id IS NULL THEN 0 ELSE 1 END) = 1",
            name=op.f("ck_credit_accounts_one_owner"),
        ),
        sa.CheckConstraint(
            "allowance >= 0", name=op.f("ck_credit_accounts_allowance_not_negative")
        ),
        sa.CheckConstraint(
            "purchased >= 0", name=op.f("ck_credit_accounts_purchased_not_negative")
        ),
        sa.CheckConstraint(
            "reserved <= allowance + purchased", name=op.f("ck_credit_accounts_reserved_covered")
        ),
        sa.CheckConstraint("reserved >= 0", name=op.f("ck_credit_accounts_reserved_not_negative")),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_credit_accounts_api_key_id_api_keys"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_credit_accounts_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_credit_accounts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_accounts")),
        sa.UniqueConstraint("api_key_id", name=op.f("uq_credit_accounts_api_key_id")),
        sa.UniqueConstraint("organization_id", name=op.f("uq_credit_accounts_organization_id")),
        sa.UniqueConstraint("user_id", name=op.f("uq_credit_accounts_user_id")),
    )
    op.create_table(
        "credit_holds",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("captured", sa.Integer(), nullable=True),
        sa.Column("status", sa.Text(), server_default=sa.text("'held'"), nullable=False),
        sa.Column("operation", sa.Text(), nullable=True),
        sa.Column("resource_id", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('held', 'captured', 'released', 'expired')",
            name=op.f("ck_credit_holds_status"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_credit_holds_amount_positive")),
        sa.CheckConstraint(
            "captured IS NULL OR (captured >= 0 AND captured <= amount)",
            name=op.f("ck_credit_holds_cap"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["credit_accounts.id"],
            name=op.f("fk_credit_holds_account_id_credit_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_holds")),
    )
    with op.batch_alter_table("credit_holds", schema=None) as batch_op:
        batch_op.create_index("credit_holds_account_idx", ["account_id"], unique=False)
        batch_op.create_index(
            "credit_holds_status_expires_idx", ["status", "expires_at"], unique=False
        )

    op.create_table(
        "credit_operations",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("request_hash", sa.Text(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["credit_accounts.id"],
            name=op.f("fk_credit_operations_account_id_credit_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_operations")),
        sa.UniqueConstraint("account_id", "idempotency_key", name="uq_credit_operations_key"),
    )
    op.create_table(
        "credit_transactions",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("operation_id", sa.Text(), nullable=True),
        sa.Column("pool", sa.Text(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("balance_after", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("operation", sa.Text(), nullable=True),
        sa.Column("resource_id", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.Text(), nullable=True),
        sa.Column("actor", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "pool IN ('allowance', 'purchased')", name=op.f("ck_credit_transactions_pool")
        ),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_credit_transactions_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["credit_accounts.id"],
            name=op.f("fk_credit_transactions_account_id_credit_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["credit_operations.id"],
            name=op.f("fk_credit_transactions_operation_id_credit_operations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_transactions")),
    )
    with op.batch_alter_table("credit_transactions", schema=None) as batch_op:
        batch_op.create_index(
            "credit_transactions_account_created_idx", ["account_id", "created_at"], unique=False
        )

    _append_only_triggers()
    op.execute(
        "CREATE VIEW api_key_credits AS SELECT api_key_id, id AS account_id, "
        "purchased AS balance, reserved, created_at, updated_at "
        "FROM credit_accounts WHERE api_key_id IS NOT NULL"
    )


def _append_only_triggers() -> None:
    """Refuse UPDATE and DELETE on the ledger's log, in the database itself."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION credit_transactions_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'credit_transactions is append-only'; END $$"
        )
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER credit_transactions_no_{event.lower()} BEFORE {event} "
                "ON credit_transactions FOR EACH ROW "
                "EXECUTE FUNCTION credit_transactions_append_only()"
            )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER credit_transactions_no_{event.lower()} BEFORE {event} "
                "ON credit_transactions BEGIN "
                "SELECT RAISE(ABORT, 'credit_transactions is append-only'); END"
            )


def downgrade() -> None:
    op.execute("DROP VIEW api_key_credits")
    for event in ("update", "delete"):
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER credit_transactions_no_{event} ON credit_transactions")
        else:
            op.execute(f"DROP TRIGGER credit_transactions_no_{event}")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION credit_transactions_append_only()")
    with op.batch_alter_table("credit_transactions", schema=None) as batch_op:
        batch_op.drop_index("credit_transactions_account_created_idx")

    op.drop_table("credit_transactions")
    op.drop_table("credit_operations")
    with op.batch_alter_table("credit_holds", schema=None) as batch_op:
        batch_op.drop_index("credit_holds_status_expires_idx")
        batch_op.drop_index("credit_holds_account_idx")

    op.drop_table("credit_holds")
    op.drop_table("credit_accounts")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index("api_keys_user_id_idx")
        batch_op.drop_index("api_keys_organization_id_idx")

    op.drop_table("api_keys")
