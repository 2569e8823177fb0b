"""Bodies and answers of the billing API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fltr_auth.billing.config import Interval, PlanLimits

CheckoutKind = Literal["credit_pack", "plan", "dataset_subscription", "dataset_purchase"]


class CheckoutIn(BaseModel):
    """A credit pack (``pack``) or a plan (``plan``, ``interval``). Datasets are bought
    through the content service, which knows their prices."""

    model_config = ConfigDict(extra="forbid")

    kind: CheckoutKind
    pack: str | None = Field(None, min_length=1, max_length=100)
    plan: str | None = Field(None, min_length=1, max_length=100)
    dataset_id: str | None = Field(None, min_length=1, max_length=200)
    interval: Interval = "month"

    @model_validator(mode="after")
    def _named(self) -> CheckoutIn:
        if self.kind in ("dataset_subscription", "dataset_purchase"):
            raise ValueError(
                "datasets are bought through the content service "
                "(POST /api/v1/datasets/{id}/checkout), which knows their prices"
            )
        if self.kind == "credit_pack" and self.pack is None:
            raise ValueError("a credit_pack checkout names its 'pack'")
        if self.kind == "plan" and self.plan is None:
            raise ValueError("a plan checkout names its 'plan'")
        return self


class DatasetCheckoutIn(BaseModel):
    """From the content service: who buys, and the dataset's facts as it stores them."""

    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=64)
    dataset_id: str = Field(min_length=1, max_length=200)
    owner_id: str = Field(min_length=1, max_length=64)
    owner_type: Literal["user", "team"] = "user"
    pricing_model: Literal["free", "one_time", "subscription"]
    name: str = Field(min_length=1, max_length=250)
    price_cents: int | None = Field(None, ge=0, le=100_000_000)
    price_monthly_cents: int | None = Field(None, ge=0, le=100_000_000)
    price_annual_cents: int | None = Field(None, ge=0, le=100_000_000)
    kind: Literal["dataset_subscription", "dataset_purchase"] | None = None
    interval: Interval = "month"

    @model_validator(mode="after")
    def _kind(self) -> DatasetCheckoutIn:
        if self.kind is None:
            subscribe = self.pricing_model == "subscription"
            self.kind = "dataset_subscription" if subscribe else "dataset_purchase"
        return self


class CheckoutOut(BaseModel):
    url: str
    session_id: str


class PortalOut(BaseModel):
    url: str


class WebhookOut(BaseModel):
    received: bool = True
    event_id: str
    type: str
    duplicate: bool
    handled: bool


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    plan: str
    dataset_id: str | None
    status: str
    period_start: datetime | None
    period_end: datetime | None
    cancel_at_period_end: bool
    billing_interval: str | None
    stripe_subscription_id: str


class EarningOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    dataset_id: str | None
    subscription_id: str | None
    amount_cents: int
    reversed_cents: int
    currency: str
    revenue_share_percentage: float
    payout_status: str
    stripe_transfer_id: str | None
    period_start: datetime | None
    period_end: datetime | None
    created_at: datetime
    paid_at: datetime | None


class EarningsOut(BaseModel):
    items: list[EarningOut]
    total: int
    limit: int
    offset: int
    totals_cents: dict[str, int] = Field(description="Net cents (earned - reversed) by status.")


class LimitsOut(BaseModel):
    owner_type: Literal["user", "team"]
    owner_id: str
    plan: str
    limits: PlanLimits
    enforced: bool = Field(description="False while billing is off: limits are not applied.")


class UsageItem(BaseModel):
    used: int | None = Field(description="None: counted by the content service.")
    limit: int | None = Field(description="None: unlimited.")


class UsageOut(BaseModel):
    plan: str
    period_start: datetime
    period_end: datetime
    enforced: bool
    usage: dict[str, UsageItem]


class PayoutAccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stripe_account_id: str = Field(min_length=1, max_length=100, pattern=r"^acct_[A-Za-z0-9]+$")


class PayoutRunOut(BaseModel):
    paid: int
    failed: int
    skipped: int
    transfers: list[str]
