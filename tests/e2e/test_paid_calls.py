"""Issue 5's end-to-end proof: both services as processes, an API key calls a content
endpoint that charges one credit, and a retry with the same request id charges nothing."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.auth.helpers import PASSWORD, unique_email
from tests.support import TEST_SERVICE_TOKEN, ServiceProcess

pytestmark = pytest.mark.e2e

INTERNAL = {"Authorization": f"Bearer {TEST_SERVICE_TOKEN}"}


def test_a_key_pays_one_credit_per_search_and_retries_are_free(
    stack: tuple[ServiceProcess, str, str],
) -> None:
    _, auth_url, content_url = stack
    with httpx.Client(timeout=30) as client:
        signed = client.post(
            f"{auth_url}/api/auth/sign-up/email",
            json={"email": unique_email(), "password": PASSWORD, "name": "Agent Owner"},
        )
        assert signed.status_code == 200, signed.text
        client.cookies.clear()  # present the bearer token only (a cookie asks for an Origin)
        session = {"Authorization": f"Bearer {signed.headers['set-auth-token']}"}
        user_id = signed.json()["user"]["id"]
        granted = client.post(
            f"{auth_url}/internal/v1/credits/grant",
            json={"user_id": user_id, "amount": 10, "idempotency_key": "e2e-grant", "reason": "t"},
            headers=INTERNAL,
        )
        assert granted.status_code == 200, granted.text
        made = client.post(
            f"{content_url}/api/v1/datasets", json={"name": "Paid Calls"}, headers=session
        )
        assert made.status_code == 201, made.text
        slug = made.json()["slug"]
        key = client.post(
            f"{auth_url}/api/v1/api-keys",
            json={"name": "agent", "scopes": ["read"]},
            headers=session,
        )
        assert key.status_code == 201, key.text
        agent = {"Authorization": f"Bearer {key.json()['key']}"}

        def balance() -> int:
            answer = client.get(f"{content_url}/api/v1/credits/balance", headers=session)
            assert answer.status_code == 200, answer.text
            return int(answer.json()["credits"])

        assert balance() == 10
        request_id = f"e2e-{uuid.uuid4().hex}"
        for _ in range(3):  # the first call and two retries of the same request
            searched = client.post(
                f"{content_url}/api/v1/datasets/{slug}/search",
                json={"query": "anything at all"},
                headers={**agent, "X-Request-ID": request_id},
            )
            assert searched.status_code == 200, searched.text
            assert searched.json()["results"] == []
        assert balance() == 9

        other = client.post(
            f"{content_url}/api/v1/datasets/{slug}/search",
            json={"query": "anything at all"},
            headers={**agent, "Idempotency-Key": f"e2e-{uuid.uuid4().hex}"},
        )
        assert other.status_code == 200, other.text
        assert balance() == 8
