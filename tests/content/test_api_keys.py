"""The content service accepts API keys (``Authorization: Bearer fltr_...`` or ``X-API-Key``),
verified by the auth service over real HTTP and cached briefly; and the ``Caller`` helpers
(scopes, dataset allowlist) the next endpoints rely on."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from fltr_content.app import create_app
from fltr_content.callers.resolver import Caller, CallerResolver
from fltr_content.settings import ContentSettings
from tests.auth.helpers import SignedUp, sign_up, unique_email

pytestmark = pytest.mark.core

KEYS = "/api/v1/api-keys"


async def new_key(client: httpx.AsyncClient, who: SignedUp, **body: Any) -> dict[str, Any]:
    response = await client.post(KEYS, json={"name": "agent", **body}, headers=who.bearer)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def verify_calls(auth_app: FastAPI, status: str = "200") -> float:
    value = auth_app.state.metrics.registry.get_sample_value(
        "fltr_http_requests_total",
        {
            "service": "auth",
            "method": "POST",
            "route": "/internal/v1/api-keys/verify",
            "status": status,
        },
    )
    return value or 0.0


@pytest.mark.parametrize("header", ["authorization", "x-api-key"])
async def test_me_with_an_api_key(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, header: str
) -> None:
    account = await sign_up(auth_client)
    key = await new_key(auth_client, account)
    headers = (
        {"Authorization": f"Bearer {key['key']}"}
        if header == "authorization"
        else {"X-API-Key": key["key"]}
    )
    response = await content_client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["credential"] == "api_key"
    assert body["user_id"] == account.user["id"]
    assert body["email"] == account.email


async def test_team_key_acts_as_the_team(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client)
    slug = unique_email("team").split("@")[0]
    org = await auth_client.post(
        "/api/auth/organization/create",
        json={"name": "Team", "slug": slug},
        headers=owner.bearer,
    )
    org_id = org.json()["id"]
    key = await new_key(auth_client, owner, organization_id=org_id)
    response = await content_client.get("/api/v1/me", headers={"X-API-Key": key["key"]})
    assert response.status_code == 200, response.text
    assert response.json()["user_id"] == org_id
    assert response.json()["credential"] == "api_key"


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer fltr_" + "A" * 43},
        {"Authorization": "Bearer fltr_nope"},
        {"X-API-Key": "fltr_" + "B" * 43},
        {"X-API-Key": "not-a-key"},
    ],
)
async def test_unknown_keys_are_401(
    content_client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await content_client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


async def test_positive_answers_are_cached_negative_never(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, auth_app: FastAPI
) -> None:
    account = await sign_up(auth_client)
    key = await new_key(auth_client, account)
    headers = {"Authorization": f"Bearer {key['key']}"}
    before = verify_calls(auth_app)
    for _ in range(5):
        assert (await content_client.get("/api/v1/me", headers=headers)).status_code == 200
    assert verify_calls(auth_app) - before == 1

    unknown = {"X-API-Key": "fltr_" + "C" * 43}
    refused = verify_calls(auth_app, "401")
    for _ in range(3):
        assert (await content_client.get("/api/v1/me", headers=unknown)).status_code == 401
    assert verify_calls(auth_app, "401") - refused == 3


@pytest.fixture
async def uncached_content(
    content_settings: ContentSettings, content_app: FastAPI, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        content_settings.model_copy(
            update={"api_key_cache_seconds": 0, "milvus_uri": str(tmp_path / "m.db")}
        )
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as client,
    ):
        yield client


async def test_revoked_key_stops_at_once_without_cache(
    auth_client: httpx.AsyncClient, uncached_content: httpx.AsyncClient
) -> None:
    account = await sign_up(auth_client)
    key = await new_key(auth_client, account)
    headers = {"Authorization": f"Bearer {key['key']}"}
    assert (await uncached_content.get("/api/v1/me", headers=headers)).status_code == 200
    revoked = await auth_client.delete(f"{KEYS}/{key['id']}", headers=account.bearer)
    assert revoked.status_code == 200
    assert (await uncached_content.get("/api/v1/me", headers=headers)).status_code == 401


async def test_revoked_key_stops_within_the_cache_ttl(
    auth_client: httpx.AsyncClient,
    content_settings: ContentSettings,
    content_app: FastAPI,
    tmp_path: Path,
) -> None:
    ttl = 0.3
    app = create_app(
        content_settings.model_copy(
            update={"api_key_cache_seconds": ttl, "milvus_uri": str(tmp_path / "m.db")}
        )
    )
    account = await sign_up(auth_client)
    key = await new_key(auth_client, account)
    headers = {"Authorization": f"Bearer {key['key']}"}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c") as client,
    ):
        assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
        await auth_client.delete(f"{KEYS}/{key['id']}", headers=account.bearer)
        revoked_at = time.monotonic()
        status = 200
        while status == 200:
            status = (await client.get("/api/v1/me", headers=headers)).status_code
            assert time.monotonic() - revoked_at < ttl + 1.0
            await asyncio.sleep(0.05)  # well under the key's 60 requests a minute
        assert status == 401


class FakeAuth:
    """Answers verify with a fixed body, counting the calls."""

    def __init__(self, answer: dict[str, Any] | None) -> None:
        self.answer = answer
        self.calls = 0

    async def verify_api_key(self, key: str) -> dict[str, Any] | None:
        self.calls += 1
        return self.answer


def key_answer(**overrides: Any) -> dict[str, Any]:
    return {
        "api_key_id": "key-1",
        "owner": {"type": "user", "id": "user-1"},
        "user": {
            "id": "user-1",
            "email": "a@example.com",
            "name": "A",
            "role": "developer",
            "email_verified": True,
        },
        "scopes": ["read"],
        "datasets": None,
        "rate_limit_per_minute": 60,
        "spend_cap": None,
        "spend_cap_period": None,
        "expires_at": None,
        **overrides,
    }


def resolver_for(auth: FakeAuth, cache_seconds: float = 60) -> CallerResolver:
    return CallerResolver(
        auth,  # type: ignore[arg-type]
        jwks_url="http://127.0.0.1:9/jwks",
        issuer=None,
        session_cache_seconds=5,
        jwks_cache_seconds=60,
        timeout=1,
        api_key_cache_seconds=cache_seconds,
    )


async def test_cache_never_outlives_the_keys_expiry() -> None:
    expired = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    auth = FakeAuth(key_answer(expires_at=expired))
    resolver = resolver_for(auth)
    key = "fltr_" + "D" * 43
    assert await resolver.from_api_key(key) is not None
    assert await resolver.from_api_key(key) is not None
    assert auth.calls == 2  # the cached answer had expired with the key

    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    auth = FakeAuth(key_answer(expires_at=later))
    resolver = resolver_for(auth)
    for _ in range(3):
        assert await resolver.from_api_key(key) is not None
    assert auth.calls == 1
    assert await resolver.from_api_key("sk_not_ours") is None
    assert auth.calls == 1  # not even asked


async def test_caller_from_a_key_carries_its_limits() -> None:
    auth = FakeAuth(
        key_answer(
            scopes=["read", "write"],
            datasets=["ds-1", "legal"],
            rate_limit_per_minute=7,
            spend_cap=100,
            spend_cap_period="day",
        )
    )
    caller = await resolver_for(auth).from_api_key("fltr_" + "E" * 43)
    assert caller is not None
    assert caller.credential == "api_key"
    assert caller.api_key_id == "key-1"
    assert caller.scopes == ("read", "write")
    assert caller.datasets == frozenset({"ds-1", "legal"})
    assert caller.rate_limit_per_minute == 7
    assert (caller.spend_cap, caller.spend_cap_period) == (100, "day")
    assert caller.rate_limit_scope == ("api_key", "key-1")


def make_caller(**fields: Any) -> Caller:
    base: dict[str, Any] = {
        "user_id": "u",
        "email": "u@example.com",
        "name": "U",
        "role": "developer",
        "email_verified": True,
        "credential": "session",
    }
    return Caller(**{**base, **fields})


def test_allowlist_helper() -> None:
    session = make_caller()
    assert session.can_read_dataset("any-id", "any-slug")
    unrestricted = make_caller(credential="api_key", api_key_id="k", scopes=("read",))
    assert unrestricted.can_read_dataset("any-id")
    restricted = make_caller(
        credential="api_key", api_key_id="k", scopes=("read",), datasets=frozenset({"id-1", "law"})
    )
    assert restricted.can_read_dataset("id-1")
    assert restricted.can_read_dataset("id-2", "law")
    assert not restricted.can_read_dataset("id-2", "medicine")
    assert not restricted.can_read_dataset("id-2")
    assert session.rate_limit_scope == ("user", "u")


@pytest.mark.parametrize(
    ("fields", "read", "write", "admin", "is_admin"),
    [
        ({}, True, True, False, False),  # a developer's session
        ({"role": "admin"}, True, True, True, True),  # an admin's session or JWT
        ({"credential": "jwt"}, True, True, False, False),
        ({"credential": "api_key", "scopes": ("read",)}, True, False, False, False),
        ({"credential": "api_key", "scopes": ("write",)}, True, True, False, False),
        # the admin scope is worth nothing on a user who is not (or no longer) an admin
        ({"credential": "api_key", "scopes": ("admin",)}, True, True, False, False),
        (
            {"credential": "api_key", "scopes": ("read",), "role": "admin"},
            True,
            False,
            False,
            False,
        ),
        ({"credential": "api_key", "scopes": ("admin",), "role": "admin"}, True, True, True, True),
        (
            {"credential": "api_key", "scopes": ("admin",), "owner_type": "team"},
            True,
            True,
            False,
            False,
        ),
    ],
)
def test_scope_helper(
    fields: dict[str, Any], read: bool, write: bool, admin: bool, is_admin: bool
) -> None:
    caller = make_caller(**fields)
    assert (caller.has_scope("read"), caller.has_scope("write"), caller.has_scope("admin")) == (
        read,
        write,
        admin,
    )
    assert caller.is_admin is is_admin
