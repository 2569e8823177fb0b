"""The content service's client for the auth service (internal HTTP, ``/internal/v1``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fltr_shared.errors import UpstreamUnavailable
from fltr_shared.internal_client import InternalClient, PeerResponse


def _service_token_refused(response: PeerResponse) -> bool:
    """The auth service refused *our* credential (a token mismatch, say mid-rotation): an
    outage to report, not a caller to sign out."""
    try:
        return bool(response.json().get("error") == "invalid_service_token")
    except ValueError:
        return False


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
        if response.status_code in (401, 422) and not _service_token_refused(response):
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
        if response.status_code in (401, 422) and not _service_token_refused(response):
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

    async def team_role(self, team_id: str, user_id: str) -> str | None:
        """The user's role in the team (organization), or None when not a member."""
        response = await self._client.request(
            "GET",
            f"/internal/v1/teams/{quote(team_id, safe='')}/members/{quote(user_id, safe='')}",
            idempotent=True,
        )
        if response.status_code != 200:
            raise UpstreamUnavailable(
                f"The auth service answered {response.status_code} to a membership check."
            )
        role: str | None = response.json()["role"]
        return role

    async def user_teams(self, user_id: str) -> dict[str, str]:
        """Every team the user is a member of: team id -> role."""
        response = await self._client.request(
            "GET", f"/internal/v1/users/{quote(user_id, safe='')}/teams", idempotent=True
        )
        if response.status_code != 200:
            raise UpstreamUnavailable(
                f"The auth service answered {response.status_code} to a membership read."
            )
        return {row["team_id"]: row["role"] for row in response.json()["teams"]}

    async def profiles(self, user_ids: list[str], team_ids: list[str]) -> list[dict[str, Any]]:
        """Public profiles (id, type, name, username, image) of users and teams, one call."""
        response = await self._client.request(
            "POST",
            "/internal/v1/profiles",
            json={"user_ids": user_ids, "team_ids": team_ids},
            idempotent=True,
        )
        if response.status_code != 200:
            raise UpstreamUnavailable(
                f"The auth service answered {response.status_code} to a profiles read."
            )
        body = response.json()
        found: list[dict[str, Any]] = [*body["users"], *body["teams"]]
        return found

    async def check_entitlement(self, body: dict[str, Any]) -> bool:
        """``POST /internal/v1/entitlements/check``: may this user or key use the dataset."""
        allowed, _ = await self.entitlement(body)
        return allowed

    async def entitlement(self, body: dict[str, Any]) -> tuple[bool, str]:
        """The entitlement check's whole answer: (allowed, reason), e.g. (True, "purchased")."""
        response = await self._client.request(
            "POST", "/internal/v1/entitlements/check", json=body, idempotent=True
        )
        if response.status_code != 200:
            raise UpstreamUnavailable(
                f"The auth service answered {response.status_code} to an entitlement check."
            )
        answer = response.json()
        return bool(answer["allowed"]), str(answer["reason"])

    async def plan_limits(self, owner_type: str, owner_id: str) -> dict[str, Any]:
        """The owner's plan and limits (``enforced`` is false while billing is off)."""
        response = await self._client.request(
            "GET",
            "/internal/v1/billing/limits",
            params={"owner_type": owner_type, "owner_id": owner_id},
        )
        if response.status_code != 200:
            raise UpstreamUnavailable(
                f"The auth service answered {response.status_code} to a plan limits read."
            )
        body: dict[str, Any] = response.json()
        return body

    async def dataset_checkout(self, body: dict[str, Any]) -> tuple[int, Any]:
        """Start a Checkout for a premium dataset; (status, body) for the caller to pass on."""
        response = await self._client.request(
            "POST", "/internal/v1/billing/dataset-checkout", json=body, retry=False
        )
        if response.status_code >= 500 and response.status_code != 503:
            raise UpstreamUnavailable(
                f"The auth service answered {response.status_code} to a checkout."
            )
        return response.status_code, response.json()
