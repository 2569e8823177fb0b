"""Refusals of the credit ledger, each with a stable code. Nothing has moved when one is raised.

- 402 ``insufficient_credits`` (with the balance), ``spend_cap_reached`` (with the cap)
- 404 ``user_not_found``, ``organization_not_found``, ``api_key_not_found``, ``hold_not_found``
- 409 ``idempotency_conflict``, ``hold_released``, ``hold_captured``, ``hold_expired``,
  ``capture_exceeds_hold``, ``hold_busy`` (changed meanwhile; retry), ``balance_limit``
- 401 ``api_key_revoked``, ``api_key_expired``; 403 ``not_a_member``
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fltr_auth.credits.repository import Pools
from fltr_shared.errors import AppError, Conflict, Forbidden, NotFound, Unauthorized


class PaymentRequired(AppError):
    status_code = 402
    default_code = "payment_required"
    default_detail = "Not enough credits."


class InsufficientCredits(PaymentRequired):
    default_code = "insufficient_credits"

    def __init__(self, required: int, pools: Pools) -> None:
        super().__init__(f"This needs {required} credits; {pools.available} are available.")
        self.required = required
        self.pools = {
            "allowance": pools.allowance,
            "purchased": pools.purchased,
            "reserved": pools.reserved,
        }
        self.balance = pools.available

    def body(self) -> dict[str, Any]:
        return {
            **super().body(),
            "balance": self.balance,
            "required": self.required,
            "pools": self.pools,
        }


class SpendCapReached(PaymentRequired):
    default_code = "spend_cap_reached"

    def __init__(
        self, *, cap: int, spent: int, required: int, period: str, resets_at: datetime
    ) -> None:
        super().__init__(
            f"This API key may spend {cap} credits per {period}; it has spent {spent} and "
            f"this needs {required}."
        )
        self.cap, self.spent, self.required = cap, spent, required
        self.period, self.resets_at = period, resets_at

    def body(self) -> dict[str, Any]:
        return {
            **super().body(),
            "balance": max(self.cap - self.spent, 0),
            "spend_cap": self.cap,
            "spent": self.spent,
            "required": self.required,
            "period": self.period,
            "resets_at": self.resets_at.isoformat(),
        }


class OwnerNotFound(NotFound):
    def __init__(self, kind: str, owner_id: str) -> None:
        label = {"user": "user", "organization": "organization", "api_key": "API key"}[kind]
        super().__init__(f"No {label} with id {owner_id!r}.", code=f"{kind}_not_found")


class HoldNotFound(NotFound):
    default_code = "hold_not_found"
    default_detail = "No such credit hold."


class IdempotencyConflict(Conflict):
    default_code = "idempotency_conflict"
    default_detail = "This idempotency key was already used for a different request; use a new key."


class HoldClosed(Conflict):
    """The hold cannot be captured or released (any more)."""


class BalanceLimit(Conflict):
    default_code = "balance_limit"
    default_detail = "The balance would exceed the largest an account can hold."


class ApiKeyInactive(Unauthorized):
    pass


class NotAMember(Forbidden):
    default_code = "not_a_member"
    default_detail = "You are not a member of this organization."
