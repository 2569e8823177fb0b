"""Bodies of the credit endpoints (snake_case, as seed 001's balance and history)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fltr_auth.credits.service import ENTRY_KINDS, MAX_AMOUNT, Owner

Amount = Annotated[
    int,
    Field(
        strict=True,  # 5.0, "5" and true are refused (422), not read as 5
        ge=1,
        le=MAX_AMOUNT,
        description=f"Credits: an integer from 1 to {MAX_AMOUNT:,}.",
    ),
]
IdempotencyKey = Annotated[
    str,
    Field(
        min_length=1,
        max_length=255,
        description="Unique per request: a retry with the same key and body returns the "
        "first answer and moves nothing; the same key with another body is a 409.",
    ),
]
RowId = Annotated[str, Field(min_length=1, max_length=64)]
Label = Annotated[str, Field(min_length=1, max_length=100)]
ResourceId = Annotated[str, Field(min_length=1, max_length=255)]
EntryKind = Literal["grant", "deduct", "capture", "transfer", "allowance", "allowance_expired"]
assert set(EntryKind.__args__) == set(ENTRY_KINDS)  # type: ignore[attr-defined]


def as_utc(value: datetime | None) -> datetime | None:
    """Query datetimes without a zone are read as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Owned(_Body):
    user_id: RowId | None = None
    organization_id: RowId | None = None
    api_key_id: RowId | None = None

    @model_validator(mode="after")
    def _one_owner(self) -> _Owned:
        named = [v for v in (self.user_id, self.organization_id, self.api_key_id) if v]
        if len(named) != 1:
            raise ValueError("give exactly one of user_id, organization_id, api_key_id")
        return self

    def owner(self) -> Owner:
        if self.user_id:
            return Owner("user", self.user_id)
        if self.organization_id:
            return Owner("organization", self.organization_id)
        assert self.api_key_id
        return Owner("api_key", self.api_key_id)


class GrantIn(_Owned):
    amount: Amount
    idempotency_key: IdempotencyKey
    reason: Label = Field(description="Why: purchase, promotion, refund_reversal, ...")
    pool: Literal["purchased", "allowance"] = "purchased"
    resource_id: ResourceId | None = Field(None, description="e.g. the checkout session")

    @model_validator(mode="after")
    def _not_a_key(self) -> GrantIn:
        if self.api_key_id:
            raise ValueError("grant to a user or a team; API keys are funded by transfer")
        return self


class DeductIn(_Owned):
    amount: Amount
    idempotency_key: IdempotencyKey
    operation: Label = Field(description="What is charged for: search, document_processing")
    resource_id: ResourceId | None = None


MAX_BATCH_DEDUCTIONS = 500


class DeductionsIn(_Body):
    deductions: list[DeductIn] = Field(
        min_length=1,
        max_length=MAX_BATCH_DEDUCTIONS,
        description=f"1 to {MAX_BATCH_DEDUCTIONS} charges, each answered as /deduct would.",
    )


class HoldIn(_Owned):
    amount: Amount
    idempotency_key: IdempotencyKey
    operation: Label | None = None
    resource_id: ResourceId | None = None
    expires_in_seconds: int | None = Field(
        None, strict=True, ge=1, le=7 * 86400, description="Default: CREDIT_HOLD_TTL_SECONDS."
    )


class CaptureIn(_Body):
    amount: Amount = Field(description="What the work used: at most what is held.")
    idempotency_key: IdempotencyKey


class ReleaseIn(_Body):
    idempotency_key: IdempotencyKey


class TransferIn(_Body):
    api_key_id: RowId
    amount: Amount
    idempotency_key: IdempotencyKey
    direction: Literal["to_key", "to_owner"] = Field(
        description="to_key funds the key's pool from its owner's purchased credits."
    )


class PoolsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    allowance: int
    purchased: int
    reserved: int = Field(description="Set aside by open holds.")


class PoolsUsedOut(BaseModel):
    allowance: int
    purchased: int


class GrantOut(BaseModel):
    transaction_id: str
    balance_after: int = Field(description="allowance + purchased after the grant")
    operation_id: str
    account_id: str
    amount: int
    pool: str


class DeductOut(BaseModel):
    transaction_id: str
    balance_after: int = Field(description="allowance + purchased of the account charged")
    operation_id: str
    account_id: str = Field(description="The account charged (an API key's pool or owner's)")
    amount: int
    pools_used: PoolsUsedOut
    operation: str
    resource_id: str | None
    api_key_id: str | None


class DeductionOutcome(BaseModel):
    status: int = Field(description="What /deduct would have answered: 200, 402, 404, 409, ...")
    replayed: bool = Field(False, description="The idempotency key was used before (200 only)")
    deduction: DeductOut | None = Field(None, description="The charge, when status is 200")
    error: dict[str, Any] | None = Field(
        None, description='The refusal, when status is not 200: {"error", "detail", ...}'
    )


class DeductionsOut(BaseModel):
    results: list[DeductionOutcome] = Field(description="One per deduction, in order")


class HoldOut(BaseModel):
    hold_id: str
    amount: int
    expires_at: datetime
    status: str
    operation_id: str
    operation: str | None
    resource_id: str | None
    api_key_id: str | None


class CaptureOut(BaseModel):
    transaction_id: str
    balance_after: int
    operation_id: str
    account_id: str
    hold_id: str
    captured: int
    released: int
    pools_used: PoolsUsedOut
    api_key_id: str | None


class ReleaseOut(BaseModel):
    operation_id: str
    hold_id: str
    released: int
    status: str


class TransferOut(BaseModel):
    operation_id: str
    api_key_id: str
    direction: str
    amount: int
    from_account_id: str
    to_account_id: str
    transaction_id: str
    balance_after: int
    to_transaction_id: str
    to_balance_after: int


class BalanceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    credits: int = Field(description="Spendable now: allowance + purchased - reserved.")
    total_credits_purchased: int
    created_at: datetime
    pools: PoolsOut
    allowance_resets_at: datetime | None


class TransactionOut(BaseModel):
    id: str
    amount: int = Field(description="Signed: + credit, - debit.")
    pool: str
    kind: str
    operation: str | None
    resource_id: str | None
    balance_after: int
    actor: str | None
    idempotency_key: str | None
    created_at: datetime
