"""Charging callers through the auth service's ledger (internal HTTP, idempotent keys).

Every operation names its idempotency key, so a retried request, a re-run job or a retried
HTTP call moves credits at most once. The ledger's refusals come back as the same error code
and status the auth service gave (402 ``insufficient_credits`` with the balance, 402
``spend_cap_reached``, 409 ``idempotency_conflict``), never as a 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fltr_content.auth_client import AuthServiceClient
from fltr_content.callers.resolver import Caller
from fltr_shared.errors import AppError, UpstreamUnavailable


class LedgerRefused(AppError):
    """The ledger said no; carries the auth service's status, code and extra fields."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(
            str(body.get("detail") or "The credit ledger refused the operation."),
            code=str(body.get("error") or "credits_refused"),
        )
        # the auth service's answer is passed through as it was given
        self.status_code = status  # type: ignore[misc]
        self.extra = {k: v for k, v in body.items() if k not in ("error", "detail", "request_id")}

    def body(self) -> dict[str, Any]:
        return {**super().body(), **self.extra}


@dataclass(frozen=True)
class Payer:
    """Whose credits pay: an API key's pool (falling back to its owner, as the ledger does),
    a team, or a user."""

    user_id: str | None = None
    organization_id: str | None = None
    api_key_id: str | None = None

    @classmethod
    def of(cls, caller: Caller) -> Payer:
        if caller.api_key_id is not None:
            return cls(api_key_id=caller.api_key_id)
        if caller.owner_type == "team":
            return cls(organization_id=caller.user_id)
        return cls(user_id=caller.user_id)

    def fields(self) -> dict[str, str]:
        named = {
            "user_id": self.user_id,
            "organization_id": self.organization_id,
            "api_key_id": self.api_key_id,
        }
        return {k: v for k, v in named.items() if v is not None}


def _answer(status: int, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise UpstreamUnavailable("The auth service gave an unreadable credits answer.")
    if status >= 400:
        raise LedgerRefused(status, body)
    return body


class Charges:
    def __init__(self, auth: AuthServiceClient) -> None:
        self._auth = auth

    async def deduct(
        self,
        payer: Payer,
        amount: int,
        idempotency_key: str,
        operation: str,
        resource_id: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            **payer.fields(),
            "amount": amount,
            "idempotency_key": idempotency_key,
            "operation": operation,
        }
        if resource_id is not None:
            body["resource_id"] = resource_id
        return _answer(*await self._auth.credits_write("deduct", body))

    async def hold(
        self,
        payer: Payer,
        amount: int,
        idempotency_key: str,
        operation: str,
        resource_id: str | None = None,
        expires_in_seconds: int | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            **payer.fields(),
            "amount": amount,
            "idempotency_key": idempotency_key,
            "operation": operation,
        }
        if resource_id is not None:
            body["resource_id"] = resource_id
        if expires_in_seconds is not None:
            body["expires_in_seconds"] = expires_in_seconds
        return _answer(*await self._auth.credits_write("holds", body))

    async def capture(self, hold_id: str, amount: int, idempotency_key: str) -> dict[str, Any]:
        body = {"amount": amount, "idempotency_key": idempotency_key}
        return _answer(*await self._auth.credits_write(f"holds/{hold_id}/capture", body))

    async def release(self, hold_id: str, idempotency_key: str) -> dict[str, Any]:
        body = {"idempotency_key": idempotency_key}
        return _answer(*await self._auth.credits_write(f"holds/{hold_id}/release", body))
