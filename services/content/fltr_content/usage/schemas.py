"""Usage summaries: per UTC day, key and dataset for a caller; per day for a curator."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class CallerUsageRow(BaseModel):
    day: date
    api_key_id: str | None = Field(description="Null for calls made with a session or JWT.")
    dataset_id: str | None
    calls: int
    errors: int = Field(description="Calls answered with a 4xx or 5xx.")
    credits: int
    tokens: int = Field(description="Tokens of the chunks returned.")
    avg_response_ms: float


class Allowance(BaseModel):
    credits: int = Field(description="Credits spendable now (allowance + purchased - reserved).")
    allowance_remaining: int = Field(
        description="What is left of the plan's monthly allowance (spent before purchased credits)."
    )
    purchased: int
    allowance_resets_at: datetime | None


class CallerUsage(BaseModel):
    since: datetime
    until: datetime
    items: list[CallerUsageRow]
    balance: Allowance | None = Field(
        description="From the credit ledger; null if the ledger did not answer."
    )


class DatasetUsageRow(BaseModel):
    day: date
    callers: int = Field(description="Distinct users and teams that called.")
    calls: int
    errors: int
    credits: int
    tokens: int
    avg_response_ms: float


class DatasetUsage(BaseModel):
    dataset_id: str
    since: datetime
    until: datetime
    items: list[DatasetUsageRow]
