"""The auth service's balance and history shapes (``/internal/v1/credits``), as served here."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class PoolsOut(BaseModel):
    allowance: int
    purchased: int
    reserved: int


class BalanceOut(BaseModel):
    credits: int
    total_credits_purchased: int
    created_at: datetime
    pools: PoolsOut
    allowance_resets_at: datetime | None


class TransactionOut(BaseModel):
    id: str
    amount: int
    pool: str
    kind: str
    operation: str | None
    resource_id: str | None
    balance_after: int
    actor: str | None
    idempotency_key: str | None
    created_at: datetime
