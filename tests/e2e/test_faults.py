"""Faults while traffic runs (issue 11, first case): the auth service stops and comes back.

Paid calls answer 503 with a clear error while it is away (health still answers, degraded),
and the retried request, with the same request id, is charged exactly once when it returns.
"""

from __future__ import annotations

import signal
import uuid

import httpx
import pytest

from tests.auth.helpers import PASSWORD, unique_email
from tests.support import TEST_SERVICE_TOKEN, ServiceProcess, wait_for_http

pytestmark = pytest.mark.e2e

INTERNAL = {"Authorization": f"Bearer {TEST_SERVICE_TOKEN}"}


def test_auth_down_then_back_charges_once(stack: tuple[ServiceProcess, str, str]) -> None:
    auth, auth_url, content_url = stack
    with httpx.Client(timeout=30) as client:
        signed = client.post(
            f"{auth_url}/api/auth/sign-up/email",
            json={"email": unique_email(), "password": PASSWORD, "name": "Faults"},
        )
        assert signed.status_code == 200, signed.text
        client.cookies.clear()
        session = {"Authorization": f"Bearer {signed.headers['set-auth-token']}"}
        granted = client.post(
            f"{auth_url}/internal/v1/credits/grant",
            json={
                "user_id": signed.json()["user"]["id"],
                "amount": 10,
                "idempotency_key": uuid.uuid4().hex,
                "reason": "t",
            },
            headers=INTERNAL,
        )
        assert granted.status_code == 200, granted.text
        slug = client.post(
            f"{content_url}/api/v1/datasets", json={"name": "Faults"}, headers=session
        ).json()["slug"]
        key = client.post(
            f"{auth_url}/api/v1/api-keys",
            json={"name": "agent", "scopes": ["read"]},
            headers=session,
        ).json()["key"]
        agent = {"Authorization": f"Bearer {key}"}
        request_id = f"fault-{uuid.uuid4().hex}"

        assert auth.stop(signal.SIGTERM) in (0, -signal.SIGTERM)
        down = client.post(
            f"{content_url}/api/v1/datasets/{slug}/search",
            json={"query": "anything"},
            headers={**agent, "X-Request-ID": request_id},
        )
        assert down.status_code == 503, down.text
        assert down.json()["error"] == "upstream_unavailable"
        health = client.get(f"{content_url}/health")
        assert health.status_code == 503
        assert health.json()["services"]["auth_service"] == "disconnected"

        auth.start()
        wait_for_http(f"{auth_url}/health", proc=auth)
        for _ in range(2):  # the retry, and a second retry of the same request
            back = client.post(
                f"{content_url}/api/v1/datasets/{slug}/search",
                json={"query": "anything"},
                headers={**agent, "X-Request-ID": request_id},
            )
            assert back.status_code == 200, back.text
        balance = client.get(f"{content_url}/api/v1/credits/balance", headers=session)
        assert balance.status_code == 200, balance.text
        assert balance.json()["credits"] == 9
