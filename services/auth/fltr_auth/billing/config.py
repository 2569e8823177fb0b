"""What is sold, as configuration (settings ``BILLING_CREDIT_PACKS`` and ``BILLING_PLANS``,
JSON): credit packs and plans map FLTR's names to Stripe price ids; plans carry their
monthly credit allowance and their limits. Datasets are priced by their curators, so their
prices travel with the checkout request instead."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Interval = Literal["month", "year"]
LIMIT_NAMES = (
    "datasets_per_month",
    "documents",
    "storage_bytes",
    "searches_per_month",
    "api_keys",
    "team_seats",
)
FREE_PLAN = "free"


class PlanLimits(BaseModel):
    """Per-owner limits of a plan; ``None`` means unlimited."""

    model_config = ConfigDict(extra="forbid")

    datasets_per_month: int | None = Field(None, ge=0)
    documents: int | None = Field(None, ge=0)
    storage_bytes: int | None = Field(None, ge=0)
    searches_per_month: int | None = Field(None, ge=0)
    api_keys: int | None = Field(None, ge=0)
    team_seats: int | None = Field(None, ge=0)


class CreditPack(BaseModel):
    model_config = ConfigDict(extra="forbid")

    price_id: str = Field(min_length=1, description="The Stripe price (one-time).")
    credits: int = Field(ge=1, le=1_000_000_000)


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prices: dict[Interval, str] = Field(
        default_factory=dict, description="Stripe recurring price id per billing interval."
    )
    monthly_credits: int = Field(0, ge=0, le=1_000_000_000, description="Allowance per period.")
    limits: PlanLimits = Field(default_factory=PlanLimits)


def default_plans() -> dict[str, Plan]:
    """Seed 002's tiers; Stripe price ids are deployment configuration, so none here."""
    return {
        FREE_PLAN: Plan(
            monthly_credits=0,
            limits=PlanLimits(
                datasets_per_month=5,
                documents=500,
                storage_bytes=1_073_741_824,
                searches_per_month=1_000,
                api_keys=3,
                team_seats=3,
            ),
        ),
        "pro": Plan(
            monthly_credits=10_000,
            limits=PlanLimits(
                documents=50_000,
                storage_bytes=53_687_091_200,
                searches_per_month=100_000,
                api_keys=25,
                team_seats=3,
            ),
        ),
        "team": Plan(
            monthly_credits=50_000,
            limits=PlanLimits(storage_bytes=536_870_912_000, api_keys=100),
        ),
    }


class Catalog:
    """Look-ups over the configured packs and plans (price id -> what it sells)."""

    def __init__(self, packs: dict[str, CreditPack], plans: dict[str, Plan]) -> None:
        self.packs = packs
        self.plans = plans if FREE_PLAN in plans else {FREE_PLAN: Plan(), **plans}
        self._plan_by_price = {
            price: name for name, plan in self.plans.items() for price in plan.prices.values()
        }

    def plan_for_price(self, price_id: str | None) -> str | None:
        return self._plan_by_price.get(price_id) if price_id else None

    def plan(self, name: str | None) -> Plan:
        return self.plans.get(name or FREE_PLAN) or self.plans[FREE_PLAN]
