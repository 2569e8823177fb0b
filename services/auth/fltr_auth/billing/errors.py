"""Refusals of billing, each with a stable code."""

from __future__ import annotations

from typing import Any

from fltr_shared.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    ValidationFailed,
)


class BillingDisabled(ServiceUnavailable):
    default_code = "billing_disabled"
    default_detail = (
        "Billing is not configured on this server: set STRIPE_SECRET_KEY (and "
        "STRIPE_WEBHOOK_SECRET for webhooks) to turn it on."
    )


class UnknownPrice(ValidationFailed):
    def __init__(self, detail: str) -> None:
        super().__init__(detail, code="unknown_price")


class OwnDataset(Conflict):
    default_code = "own_dataset"
    default_detail = "You own this dataset; there is nothing to buy."


class FreeDataset(Conflict):
    default_code = "free_dataset"
    default_detail = "This dataset is free; it needs no checkout."


class WrongPricingModel(Conflict):
    default_code = "wrong_pricing_model"


class BadSignature(BadRequest):
    default_code = "invalid_signature"
    default_detail = "The Stripe-Signature header is missing, invalid or too old."


class MalformedEvent(BadRequest):
    default_code = "malformed_event"
    default_detail = "The webhook body is not a Stripe event FLTR can read."


class NoBillingAccount(NotFound):
    default_code = "no_billing_account"
    default_detail = "This user has no Stripe customer yet."


class StripeFailed(ServiceUnavailable):
    default_code = "stripe_unavailable"
    default_detail = "Stripe did not accept the request; try again later."


class PlanLimitReached(Forbidden):
    default_code = "plan_limit_reached"

    def __init__(self, limit: str, value: int, plan: str) -> None:
        super().__init__(
            f"The {plan!r} plan allows {value} {limit.replace('_', ' ')}; upgrade the plan "
            "or free one up."
        )
        self.limit, self.value, self.plan = limit, value, plan

    def body(self) -> dict[str, Any]:
        return {**super().body(), "limit": self.limit, "allowed": self.value, "plan": self.plan}
