"""Ledger tables. Invariants, enforced by the database where it can:

- a pool never goes below zero (CHECKs), holds never exceed the balance;
- ``credit_transactions`` is append-only (triggers refuse UPDATE and DELETE), and for every
  account and pool the sum of its entries equals the pool's balance;
- an idempotency key is applied at most once per account (``credit_operations``).

Per-API-key pools are accounts owned by the key; the ``api_key_credits`` view (seed 001's
name) shows them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from fltr_auth.db import Base
from fltr_shared.db import UTCDateTime, utcnow

POOLS = ("allowance", "purchased")
HOLD_STATES = ("held", "captured", "released", "expired")


class CreditAccount(Base):
    __tablename__ = "credit_accounts"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN user_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN organization_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN api_key_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_owner",
        ),
        CheckConstraint("allowance >= 0", name="allowance_not_negative"),
        CheckConstraint("purchased >= 0", name="purchased_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= allowance + purchased", name="reserved_covered"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    user_id: Mapped[str | None] = mapped_column(
        Text, ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    organization_id: Mapped[str | None] = mapped_column(
        Text, ForeignKey("organizations.id", ondelete="CASCADE"), unique=True
    )
    api_key_id: Mapped[str | None] = mapped_column(
        Text, ForeignKey("api_keys.id", ondelete="CASCADE"), unique=True
    )
    allowance: Mapped[int] = mapped_column(Integer, server_default=text("0"))  # spent first
    purchased: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    reserved: Mapped[int] = mapped_column(Integer, server_default=text("0"))  # open holds
    total_purchased: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    allowance_resets_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )


class CreditOperation(Base):
    """One applied request, by idempotency key: a retry returns ``response`` unchanged."""

    __tablename__ = "credit_operations"
    __table_args__ = (
        UniqueConstraint("account_id", "idempotency_key", name="uq_credit_operations_key"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    account_id: Mapped[str] = mapped_column(
        Text, ForeignKey("credit_accounts.id", ondelete="CASCADE")
    )
    idempotency_key: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)  # deduct, hold, capture, release, grant, ...
    request_hash: Mapped[str] = mapped_column(Text)  # sha256 of the canonical request
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )


class CreditTransaction(Base):
    """Append-only: one entry per change of one pool's balance."""

    __tablename__ = "credit_transactions"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint("pool IN ('allowance', 'purchased')", name="pool"),
        Index("credit_transactions_account_created_idx", "account_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    account_id: Mapped[str] = mapped_column(
        Text, ForeignKey("credit_accounts.id", ondelete="CASCADE")
    )
    operation_id: Mapped[str | None] = mapped_column(
        Text, ForeignKey("credit_operations.id", ondelete="SET NULL")
    )
    pool: Mapped[str] = mapped_column(Text)
    amount: Mapped[int] = mapped_column(Integer)  # signed: + credit, - debit
    balance_after: Mapped[int] = mapped_column(Integer)  # allowance + purchased after it
    kind: Mapped[str] = mapped_column(Text)  # grant, allowance, deduct, capture, transfer, ...
    operation: Mapped[str | None] = mapped_column(Text)  # search, document_processing, ...
    resource_id: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )


class CreditHold(Base):
    """Credits reserved for long work; captured or released at most once, or expired."""

    __tablename__ = "credit_holds"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("captured IS NULL OR (captured >= 0 AND captured <= amount)", name="cap"),
        CheckConstraint("status IN ('held', 'captured', 'released', 'expired')", name="status"),
        Index("credit_holds_status_expires_idx", "status", "expires_at"),
        Index("credit_holds_account_idx", "account_id"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    account_id: Mapped[str] = mapped_column(
        Text, ForeignKey("credit_accounts.id", ondelete="CASCADE")
    )
    amount: Mapped[int] = mapped_column(Integer)
    captured: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(Text, server_default=text("'held'"))
    operation: Mapped[str | None] = mapped_column(Text)
    resource_id: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
