"""API keys: ``/api/v1/api-keys`` (session auth) and ``/internal/v1/api-keys/verify``.

Created once (the secret in the creation answer only), stored as an HMAC, listed with
pagination, changed, revoked at once; other people's keys are 404; team keys need a team
owner or admin; every bad input is a 422 that creates or changes nothing; ``last_used_at`` is
written in batches, and at shutdown.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr, ValidationError
from sqlalchemy import delete, event, select
from sqlalchemy.ext.asyncio import AsyncConnection

from fltr_auth.api_keys.models import ApiKey
from fltr_auth.api_keys.usage import LastUsedFlusher, UsageRecorder
from fltr_auth.app import create_app
from fltr_auth.settings import AuthSettings
from fltr_auth.users.models import User
from fltr_shared.db import utcnow
from tests.auth.helpers import SignedUp, sign_up, unique_email
from tests.support import TEST_SERVICE_TOKEN

pytestmark = pytest.mark.core

API = "/api/v1/api-keys"
SERVICE = {"Authorization": f"Bearer {TEST_SERVICE_TOKEN}"}
ORG = "/api/auth/organization"


async def create(client: httpx.AsyncClient, who: SignedUp, **body: Any) -> httpx.Response:
    return await client.post(API, json={"name": "agent", **body}, headers=who.bearer)


async def created(client: httpx.AsyncClient, who: SignedUp, **body: Any) -> dict[str, Any]:
    response = await create(client, who, **body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def verify(client: httpx.AsyncClient, key: str) -> httpx.Response:
    return await client.post("/internal/v1/api-keys/verify", json={"key": key}, headers=SERVICE)


async def listed(client: httpx.AsyncClient, who: SignedUp, **params: Any) -> dict[str, Any]:
    response = await client.get(API, params=params, headers=who.bearer)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def set_role(app: FastAPI, user_id: str, role: str) -> None:
    async with app.state.db.transaction() as db:
        user = await db.get(User, user_id)
        assert user is not None
        user.role = role


async def make_team(
    client: httpx.AsyncClient, owner: SignedUp, *roles: str
) -> tuple[str, list[SignedUp]]:
    """A team owned by ``owner``, with one new member per role in ``roles``."""
    slug = unique_email("team").split("@")[0]
    response = await client.post(
        f"{ORG}/create", json={"name": "Team", "slug": slug}, headers=owner.bearer
    )
    assert response.status_code == 200, response.text
    org_id: str = response.json()["id"]
    members = []
    for role in roles:
        member = await sign_up(client)
        invitation = await client.post(
            f"{ORG}/invite-member",
            json={"email": member.email, "role": role, "organizationId": org_id},
            headers=owner.bearer,
        )
        assert invitation.status_code == 200, invitation.text
        accepted = await client.post(
            f"{ORG}/accept-invitation",
            json={"invitationId": invitation.json()["id"]},
            headers=member.bearer,
        )
        assert accepted.status_code == 200, accepted.text
        members.append(member)
    return org_id, members


# ---- create, shown once, stored as a hash


async def test_create_shows_the_secret_once_and_stores_only_its_hmac(
    auth_client: httpx.AsyncClient, auth_app: FastAPI
) -> None:
    owner = await sign_up(auth_client)
    response = await create(
        auth_client,
        owner,
        name="  research agent  ",
        scopes=["read", "write", "read"],
        datasets=["legal-cases", "ds_123", "legal-cases"],
        rate_limit_per_minute=30,
        spend_cap=500,
        spend_cap_period="week",
    )
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    secret = body["key"]
    assert secret.startswith("fltr_")
    assert len(secret) == 48
    assert secret[5:].isalnum()
    assert body["prefix"] == secret[:12]
    assert body["name"] == "research agent"
    assert body["scopes"] == ["read", "write"]
    assert body["datasets"] == ["legal-cases", "ds_123"]
    assert (body["rate_limit_per_minute"], body["spend_cap"], body["spend_cap_period"]) == (
        30,
        500,
        "week",
    )
    assert body["owner"] == {"type": "user", "id": owner.user["id"]}
    assert body["expires_at"] is None
    assert body["created_at"]
    assert body["status"] == "active"

    async with auth_app.state.db.transaction() as db:
        row = await db.get(ApiKey, body["id"])
        assert row is not None
        expected = hmac.new(
            auth_app.state.api_key_hash_secret.encode(), secret.encode(), hashlib.sha256
        ).hexdigest()
        assert row.key_hash == expected
        assert row.created_by == owner.user["id"]
        stored = " ".join(str(getattr(row, c.key)) for c in ApiKey.__mapper__.column_attrs)
        assert secret not in stored
        assert secret[12:] not in stored

    # never again: not in the list, not in a get
    page = await auth_client.get(API, headers=owner.bearer)
    one = await auth_client.get(f"{API}/{body['id']}", headers=owner.bearer)
    for answer in (page, one):
        assert answer.status_code == 200
        assert secret not in answer.text
        assert expected not in answer.text
        assert '"key"' not in answer.text
        assert "key_hash" not in answer.text
    assert one.json()["prefix"] == secret[:12]


async def test_defaults(auth_client: httpx.AsyncClient) -> None:
    owner = await sign_up(auth_client)
    body = await created(auth_client, owner)
    assert body["scopes"] == ["read"]
    assert body["datasets"] is None
    assert body["rate_limit_per_minute"] == 60
    assert body["spend_cap"] is None
    assert body["spend_cap_period"] is None
    assert body["last_used_at"] is None
    assert body["revoked_at"] is None
    # a cap without a period is per month
    assert (await created(auth_client, owner, spend_cap=10))["spend_cap_period"] == "month"


def _in(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 101},
        {"name": None},
        {"scopes": ["read", "delete"]},
        {"scopes": []},
        {"scopes": "read"},
        {"datasets": [f"ds-{i}" for i in range(101)]},
        {"datasets": []},
        {"datasets": ["has space"]},
        {"datasets": [""]},
        {"rate_limit_per_minute": -1},
        {"rate_limit_per_minute": 0},
        {"rate_limit_per_minute": 10001},
        {"rate_limit_per_minute": "60"},
        {"rate_limit_per_minute": 1.5},
        {"spend_cap": -5},
        {"spend_cap": 0},
        {"spend_cap_period": "week"},
        {"spend_cap": 5, "spend_cap_period": "year"},
        {"expires_at": "2001-01-01T00:00:00Z"},
        {"expires_at": "2999-01-01T00:00:00"},  # no time zone
        {"expires_at": "tomorrow"},
        {"organization_id": ""},
        {"key": "fltr_choose_my_own"},
        {"unknown": 1},
    ],
)
async def test_bad_input_is_422_and_creates_nothing(
    auth_client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    owner = await sign_up(auth_client)
    response = await auth_client.post(API, json={"name": "agent", **body}, headers=owner.bearer)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "validation_error"
    assert (await listed(auth_client, owner, include_revoked=True))["total"] == 0


async def test_needs_a_session(auth_client: httpx.AsyncClient) -> None:
    owner = await sign_up(auth_client)
    key = (await created(auth_client, owner))["key"]
    assert (await auth_client.post(API, json={"name": "x"})).status_code == 401
    assert (await auth_client.get(API)).status_code == 401
    # an API key is not a session: it cannot manage keys
    as_key = await auth_client.get(API, headers={"Authorization": f"Bearer {key}"})
    assert as_key.status_code == 401


async def test_list_is_paginated_newest_first(auth_client: httpx.AsyncClient) -> None:
    owner = await sign_up(auth_client)
    ids = [(await created(auth_client, owner, name=f"k{i}"))["id"] for i in range(5)]
    first = await listed(auth_client, owner, limit=2)
    assert (first["total"], first["limit"], first["offset"], first["has_more"]) == (5, 2, 0, True)
    assert [k["name"] for k in first["items"]] == ["k4", "k3"]
    last = await listed(auth_client, owner, limit=2, offset=4)
    assert [k["id"] for k in last["items"]] == [ids[0]]
    assert last["has_more"] is False
    for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}):
        response = await auth_client.get(API, params=params, headers=owner.bearer)
        assert response.status_code == 422
    other = await sign_up(auth_client)
    assert (await listed(auth_client, other))["total"] == 0


async def test_at_most_n_active_keys_per_owner(
    auth_client: httpx.AsyncClient, auth_settings: AuthSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth_settings, "api_key_max_active_per_owner", 2)
    owner = await sign_up(auth_client)
    first = await created(auth_client, owner)
    await created(auth_client, owner)
    refused = await create(auth_client, owner)
    assert refused.status_code == 409
    assert refused.json()["error"] == "too_many_api_keys"
    assert (await listed(auth_client, owner))["total"] == 2
    await auth_client.delete(f"{API}/{first['id']}", headers=owner.bearer)
    assert (await create(auth_client, owner)).status_code == 201


# ---- other people's keys


async def test_other_users_keys_are_404(auth_client: httpx.AsyncClient) -> None:
    owner = await sign_up(auth_client)
    stranger = await sign_up(auth_client)
    key = await created(auth_client, owner, name="mine")
    for method, kwargs in (
        ("GET", {}),
        ("PATCH", {"json": {"name": "stolen"}}),
        ("DELETE", {}),
    ):
        for key_id in (key["id"], "no-such-key"):
            response = await auth_client.request(
                method, f"{API}/{key_id}", headers=stranger.bearer, **kwargs
            )
            assert response.status_code == 404, (method, response.text)
            assert response.json()["error"] == "api_key_not_found"
    mine = await auth_client.get(f"{API}/{key['id']}", headers=owner.bearer)
    assert mine.json()["name"] == "mine"
    assert mine.json()["status"] == "active"
    assert (await verify(auth_client, key["key"])).status_code == 200


# ---- update


async def test_update_name_limits_allowlist_and_spend_cap(auth_client: httpx.AsyncClient) -> None:
    owner = await sign_up(auth_client)
    key = await created(auth_client, owner, datasets=["a"], spend_cap=5, spend_cap_period="day")
    expires = _in(30)
    response = await auth_client.patch(
        f"{API}/{key['id']}",
        json={
            "name": "renamed",
            "rate_limit_per_minute": 500,
            "datasets": ["b", "c"],
            "spend_cap": 50,
            "expires_at": expires,
        },
        headers=owner.bearer,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["name"], body["rate_limit_per_minute"], body["datasets"]) == (
        "renamed",
        500,
        ["b", "c"],
    )
    assert (body["spend_cap"], body["spend_cap_period"]) == (50, "day")
    assert body["expires_at"] is not None
    assert body["updated_at"] >= key["updated_at"]

    cleared = await auth_client.patch(
        f"{API}/{key['id']}",
        json={"datasets": None, "spend_cap": None, "expires_at": None, "scopes": ["read"]},
        headers=owner.bearer,
    )
    body = cleared.json()
    assert (body["datasets"], body["spend_cap"], body["spend_cap_period"]) == (None, None, None)
    assert body["expires_at"] is None
    verified = (await verify(auth_client, key["key"])).json()
    assert verified["datasets"] is None
    assert verified["rate_limit_per_minute"] == 500


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": None},
        {"scopes": None},
        {"scopes": ["root"]},
        {"rate_limit_per_minute": 0},
        {"rate_limit_per_minute": None},
        {"datasets": [f"d{i}" for i in range(101)]},
        {"spend_cap": -1},
        {"spend_cap_period": "week"},  # the key has no cap
        {"expires_at": "2001-01-01T00:00:00Z"},
        {"prefix": "fltr_fake"},
    ],
)
async def test_bad_update_is_422_and_changes_nothing(
    auth_client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    owner = await sign_up(auth_client)
    key = await created(auth_client, owner, name="keep")
    key.pop("key")
    response = await auth_client.patch(f"{API}/{key['id']}", json=body, headers=owner.bearer)
    assert response.status_code == 422, response.text
    assert (await auth_client.get(f"{API}/{key['id']}", headers=owner.bearer)).json() == key


async def test_admin_scope_only_from_site_admins(
    auth_client: httpx.AsyncClient, auth_app: FastAPI
) -> None:
    user = await sign_up(auth_client)
    refused = await create(auth_client, user, scopes=["admin"])
    assert refused.status_code == 403
    assert refused.json()["error"] == "scope_not_allowed"
    key = await created(auth_client, user, scopes=["read"])
    upward = await auth_client.patch(
        f"{API}/{key['id']}", json={"scopes": ["read", "admin"]}, headers=user.bearer
    )
    assert upward.status_code == 403
    assert (await auth_client.get(f"{API}/{key['id']}", headers=user.bearer)).json()["scopes"] == [
        "read"
    ]
    widened = await auth_client.patch(
        f"{API}/{key['id']}", json={"scopes": ["read", "write"]}, headers=user.bearer
    )
    assert widened.json()["scopes"] == ["read", "write"]
    assert (await listed(auth_client, user))["total"] == 1

    await set_role(auth_app, user.user["id"], "admin")
    assert (await create(auth_client, user, scopes=["admin"])).status_code == 201


# ---- revoke


async def test_revoke_is_immediate_and_idempotent(auth_client: httpx.AsyncClient) -> None:
    owner = await sign_up(auth_client)
    key = await created(auth_client, owner)
    assert (await verify(auth_client, key["key"])).status_code == 200
    revoked = await auth_client.delete(f"{API}/{key['id']}", headers=owner.bearer)
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"
    assert revoked.json()["revoked_at"]
    refused = await verify(auth_client, key["key"])
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_api_key"
    again = await auth_client.delete(f"{API}/{key['id']}", headers=owner.bearer)
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    assert (await listed(auth_client, owner))["total"] == 0
    everything = await listed(auth_client, owner, include_revoked=True)
    assert [k["id"] for k in everything["items"]] == [key["id"]]
    change = await auth_client.patch(f"{API}/{key['id']}", json={"name": "x"}, headers=owner.bearer)
    assert change.status_code == 409


# ---- team keys


async def test_team_keys_need_a_team_owner_or_admin(auth_client: httpx.AsyncClient) -> None:
    owner = await sign_up(auth_client)
    org_id, (admin, member) = await make_team(auth_client, owner, "admin", "member")
    stranger = await sign_up(auth_client)

    by_owner = await created(auth_client, owner, organization_id=org_id, name="team key")
    assert by_owner["owner"] == {"type": "team", "id": org_id}
    by_admin = await created(auth_client, admin, organization_id=org_id)
    assert by_admin["created_by"] == admin.user["id"]

    as_member = await create(auth_client, member, organization_id=org_id)
    assert as_member.status_code == 403
    assert as_member.json()["error"] == "team_role_required"
    as_stranger = await create(auth_client, stranger, organization_id=org_id)
    assert as_stranger.status_code == 404
    assert (await create(auth_client, owner, organization_id="no-such-team")).status_code == 404

    team = await listed(auth_client, admin, organization_id=org_id)
    assert {k["id"] for k in team["items"]} == {by_owner["id"], by_admin["id"]}
    assert (await listed(auth_client, owner))["total"] == 0  # personal keys only
    listing = await auth_client.get(API, params={"organization_id": org_id}, headers=member.bearer)
    assert listing.status_code == 403
    listing = await auth_client.get(
        API, params={"organization_id": org_id}, headers=stranger.bearer
    )
    assert listing.status_code == 404

    for who in (member, stranger):
        response = await auth_client.get(f"{API}/{by_owner['id']}", headers=who.bearer)
        assert response.status_code == 404
    renamed = await auth_client.patch(
        f"{API}/{by_owner['id']}", json={"name": "renamed"}, headers=admin.bearer
    )
    assert renamed.json()["name"] == "renamed"

    verified = (await verify(auth_client, by_owner["key"])).json()
    assert verified["owner"] == {"type": "team", "id": org_id}
    assert verified["user"] is None
    revoked = await auth_client.delete(f"{API}/{by_owner['id']}", headers=admin.bearer)
    assert revoked.status_code == 200
    assert (await verify(auth_client, by_owner["key"])).status_code == 401


# ---- verify


async def test_verify_answers_owner_scopes_allowlist_and_limits(
    auth_client: httpx.AsyncClient,
) -> None:
    owner = await sign_up(auth_client)
    expires = _in(7)
    key = await created(
        auth_client,
        owner,
        scopes=["read", "write"],
        datasets=["ds-1"],
        rate_limit_per_minute=7,
        spend_cap=100,
        expires_at=expires,
    )
    response = await verify(auth_client, key["key"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "api_key_id",
        "owner",
        "user",
        "scopes",
        "datasets",
        "rate_limit_per_minute",
        "spend_cap",
        "spend_cap_period",
        "expires_at",
    }
    assert body["api_key_id"] == key["id"]
    assert body["owner"] == {"type": "user", "id": owner.user["id"]}
    assert body["user"]["id"] == owner.user["id"]
    assert body["user"]["email"] == owner.email
    assert body["user"]["role"] == "developer"
    assert (body["scopes"], body["datasets"], body["rate_limit_per_minute"]) == (
        ["read", "write"],
        ["ds-1"],
        7,
    )
    assert (body["spend_cap"], body["spend_cap_period"]) == (100, "month")
    assert datetime.fromisoformat(body["expires_at"]) == datetime.fromisoformat(expires)


@pytest.mark.parametrize(
    "value",
    [
        "fltr_" + "A" * 43,  # well-formed, unknown
        "nope",
        "fltr_",
        "fltr_short",
        "Bearer fltr_" + "A" * 43,
        "fltr_" + "é" * 43,
    ],
)
async def test_verify_refuses_unknown_keys(auth_client: httpx.AsyncClient, value: str) -> None:
    response = await verify(auth_client, value)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_api_key"


async def test_verify_refuses_a_near_miss(auth_client: httpx.AsyncClient) -> None:
    owner = await sign_up(auth_client)
    key = (await created(auth_client, owner))["key"]
    flipped = key[:-1] + ("a" if key[-1] != "a" else "b")
    assert (await verify(auth_client, flipped)).status_code == 401
    assert (await verify(auth_client, key + "x")).status_code == 401


async def test_verify_input_and_service_credential(auth_client: httpx.AsyncClient) -> None:
    owner = await sign_up(auth_client)
    key = (await created(auth_client, owner))["key"]
    anonymous = await auth_client.post("/internal/v1/api-keys/verify", json={"key": key})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "invalid_service_token"
    assert (await verify(auth_client, "")).status_code == 422
    assert (await verify(auth_client, "x" * 600)).status_code == 422


async def test_expired_key_is_refused(auth_client: httpx.AsyncClient, auth_app: FastAPI) -> None:
    owner = await sign_up(auth_client)
    key = await created(auth_client, owner, expires_at=_in(1))
    assert (await verify(auth_client, key["key"])).status_code == 200
    async with auth_app.state.db.transaction() as db:
        row = await db.get(ApiKey, key["id"])
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
    assert (await verify(auth_client, key["key"])).status_code == 401
    shown = (await auth_client.get(f"{API}/{key['id']}", headers=owner.bearer)).json()
    assert shown["status"] == "expired"
    # still listed (not revoked), as expired
    assert (await listed(auth_client, owner))["total"] == 1


async def test_banned_owner_keys_are_refused(
    auth_client: httpx.AsyncClient, auth_app: FastAPI
) -> None:
    admin = await sign_up(auth_client)
    await set_role(auth_app, admin.user["id"], "admin")
    owner = await sign_up(auth_client)
    key = (await created(auth_client, owner))["key"]
    banned = await auth_client.post(
        "/api/auth/admin/ban-user", json={"userId": owner.user["id"]}, headers=admin.bearer
    )
    assert banned.status_code == 200, banned.text
    assert (await verify(auth_client, key)).status_code == 401
    await auth_client.post(
        "/api/auth/admin/unban-user", json={"userId": owner.user["id"]}, headers=admin.bearer
    )
    assert (await verify(auth_client, key)).status_code == 200


# ---- last_used_at: in memory, one UPDATE per flush, written at shutdown


@pytest.fixture
def statements(auth_app: FastAPI) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))  # (conn, cursor, statement, parameters, context, many)

    engine = auth_app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def updates_of_api_keys(seen: list[str]) -> list[str]:
    return [s for s in seen if s.lstrip().upper().startswith("UPDATE API_KEYS")]


@pytest.fixture
def recorder(auth_app: FastAPI) -> Iterator[UsageRecorder]:
    """The test's own recorder, so the app's periodic flush cannot take its uses.
    (Swapped by hand: monkeypatch's undo deletes a Starlette ``State`` attribute.)"""
    original = auth_app.state.api_key_usage
    auth_app.state.api_key_usage = own = UsageRecorder()
    try:
        yield own
    finally:
        auth_app.state.api_key_usage = original


async def test_uses_are_batched_into_one_update(
    auth_client: httpx.AsyncClient,
    auth_app: FastAPI,
    statements: list[str],
    recorder: UsageRecorder,
) -> None:
    owner = await sign_up(auth_client)
    keys = [(await created(auth_client, owner, name=f"k{i}"))["key"] for i in range(3)]
    statements.clear()
    for _ in range(10):
        for key in keys:
            assert (await verify(auth_client, key)).status_code == 200
    assert updates_of_api_keys(statements) == []  # no write per use
    assert len(recorder) == 3
    # the list already shows the pending use
    assert all(k["last_used_at"] for k in (await listed(auth_client, owner))["items"])

    async with auth_app.state.db.transaction() as db:
        connection = await db.connection()

        @asynccontextmanager
        async def joined() -> AsyncIterator[AsyncConnection]:
            yield connection

        flusher = LastUsedFlusher(recorder, joined, interval_seconds=3600)
        assert await flusher.flush() == 3
        assert await flusher.flush() == 0  # nothing pending: no statement at all
        rows = (await db.execute(select(ApiKey).where(ApiKey.user_id == owner.user["id"]))).all()
    assert len(updates_of_api_keys(statements)) == 1
    assert len(recorder) == 0
    assert all(row[0].last_used_at is not None for row in rows)


async def test_a_failed_flush_keeps_the_uses() -> None:
    recorder = UsageRecorder()
    recorder.record("k1", utcnow())

    @asynccontextmanager
    async def broken() -> AsyncIterator[AsyncConnection]:
        raise ConnectionError("database down")
        yield  # pragma: no cover

    assert await LastUsedFlusher(recorder, broken, 1).flush() == 0
    assert recorder.last_seen("k1") is not None


def plain_client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://auth.test")


async def last_used(app: FastAPI, key_id: str) -> datetime | None:
    async with app.state.db.engine.connect() as conn:
        result = await conn.execute(select(ApiKey.last_used_at).where(ApiKey.id == key_id))
        value: datetime | None = result.scalar_one()
        return value


async def forget(app: FastAPI, email: str) -> None:
    """Delete a user these tests committed (keys and sessions go with it)."""
    database = getattr(app.state, "db", None)
    if database is None:
        return
    async with database.engine.begin() as conn:
        await conn.execute(delete(User).where(User.email == email))
    await database.dispose()


async def test_last_used_is_written_periodically(auth_settings: AuthSettings) -> None:
    # a second app whose data is committed: its flush runs on its own connection
    app = create_app(auth_settings.model_copy(update={"api_key_last_used_flush_seconds": 0.05}))
    email = unique_email("flush")
    try:
        async with app.router.lifespan_context(app), plain_client(app) as client:
            account = await sign_up(client, email=email)
            key = await created(client, account)
            assert (await verify(client, key["key"])).status_code == 200
            for _ in range(200):
                if await last_used(app, key["id"]) is not None:
                    break
                await asyncio.sleep(0.025)
            assert await last_used(app, key["id"]) is not None
    finally:
        await forget(app, email)


async def test_pending_uses_are_written_at_shutdown(auth_settings: AuthSettings) -> None:
    app = create_app(auth_settings.model_copy(update={"api_key_last_used_flush_seconds": 3600}))
    email = unique_email("shutdown")
    try:
        async with app.router.lifespan_context(app):
            async with plain_client(app) as client:
                account = await sign_up(client, email=email)
                key = await created(client, account)
                assert (await verify(client, key["key"])).status_code == 200
            assert await last_used(app, key["id"]) is None  # only in memory so far
        # the lifespan has ended (its disposed engine reconnects for this read)
        assert await last_used(app, key["id"]) is not None
    finally:
        await forget(app, email)


# ---- settings


def test_hash_secret_is_generated_in_development_and_required_in_production(
    tmp_path: Path,
) -> None:
    settings = AuthSettings(_env_file=None, var_dir=tmp_path)
    secret = settings.resolve_api_key_hash_secret().get_secret_value()
    assert len(secret) >= 32
    assert (tmp_path / "api-key-hash-secret").read_text().strip() == secret
    again = AuthSettings(_env_file=None, var_dir=tmp_path).resolve_api_key_hash_secret()
    assert again.get_secret_value() == secret
    with pytest.raises(ValidationError, match="API_KEY_HASH_SECRET is required"):
        AuthSettings(_env_file=None, fltr_env="production")
    with pytest.raises(ValidationError, match="API_KEY_HASH_SECRET must be at least 32"):
        AuthSettings(_env_file=None, fltr_env="production", api_key_hash_secret=SecretStr("short"))
