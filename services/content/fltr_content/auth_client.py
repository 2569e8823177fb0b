"""The content service's client for the auth service (internal HTTP, ``/internal/v1``)."""

from __future__ import annotations

from typing import Any

from fltr_shared.errors import UpstreamUnavailable
from fltr_shared.internal_client import InternalClient


class AuthServiceClient:
    def __init__(self, client: InternalClient) -> None:
        self._client = client

    async def aclose(self) -> None:
        await self._client.aclose()

    async def ping(self, timeout: float) -> None:
        """Succeed only if the auth service answers and accepts our service credential."""
        response = await self._client.request(
            "GET", "/internal/v1/ping", timeout=timeout, retry=False
        )
        if response.status_code != 200:
            raise UpstreamUnavailable(
                f"The auth service answered {response.status_code} to a ping."
            )

    async def validate_session(self, value: str) -> dict[str, Any] | None:
        """The caller behind a cookie value, bearer token or JWT; None if it is not valid."""
        response = await self._client.request(
            "POST", "/internal/v1/sessions/validate", json={"token": value}, idempotent=True
        )
        if response.status_code == 200:
            body: dict[str, Any] = response.json()
            return body
        if response.status_code in (401, 422):
            return None
        raise UpstreamUnavailable(
            f"The auth service answered {response.status_code} to a session check."
        )

    async def verify_api_key(self, key: str) -> dict[str, Any] | None:
        """The owner, scopes, allowlist and limits of an API key; None if it is not usable."""
        response = await self._client.request(
            "POST", "/internal/v1/api-keys/verify", json={"key": key}, idempotent=True
        )
        if response.status_code == 200:
            body: dict[str, Any] = response.json()
            return body
        if response.status_code in (401, 422):
            return None
        raise UpstreamUnavailable(
            f"The auth service answered {response.status_code} to an API key check."
        )

    async def credits_read(self, path: str, params: dict[str, Any]) -> tuple[int, Any]:
        """A read of the ledger (``balance``, ``transactions``): (status, body) for the
        caller to pass on; the auth service's 4xx answers are the caller's to see."""
        response = await self._client.request(
            "GET", f"/internal/v1/credits/{path}", params=params, idempotent=True
        )
        if response.status_code >= 500:
            raise UpstreamUnavailable(
                f"The auth service answered {response.status_code} to a credits read."
            )
        return response.status_code, response.json()

    async def credits_write(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        """A ledger operation (``deduct``, ``holds``, ``holds/{id}/capture``, ...). Every body
        carries an idempotency key, so the POST is safe to retry; the auth service's 4xx
        answers (402, 409, 404) are returned for the caller to act on."""
        response = await self._client.request(
            "POST", f"/internal/v1/credits/{path}", json=body, idempotent=True
        )
        if response.status_code >= 500:
            raise UpstreamUnavailable(
                f"The auth service answered {response.status_code} to a credits operation."
            )
        return response.status_code, response.json()
