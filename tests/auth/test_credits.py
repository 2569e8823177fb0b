"""The credit ledger over HTTP: grants, deductions, holds, key pools, caps, and every refusal
leaving everything as it was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from fltr_auth.credits import service
from fltr_auth.credits.sweeper import sweep_expired_holds
from tests.auth.credit_helpers import (
    CREDITS,
    INTERNAL,
    grant,
    ledger_problems,
    make_api_key,
    make_user,
    new_key,
    pools,
    post,
    revoke_api_key,
    snapshot,
)
from tests.auth.helpers import sign_up

pytestmark = pytest.mark.core


@pytest.fixture
def client(auth_client: httpx.AsyncClient) -> httpx.AsyncClient:
    return auth_client


@pytest.fixture
async def user_id(auth_app: FastAPI, auth_client: httpx.AsyncClient) -> str:
    return await make_user(auth_app.state.db)


def deduct_body(user_id: str, amount: Any, key: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "amount": amount,
        "idempotency_key": key or new_key(),
        "operation": "search",
        **extra,
    }


async def test_grant_deduct_and_balance_allowance_first(
    client: httpx.AsyncClient, auth_app: FastAPI, user_id: str
) -> None:
    granted = await grant(client, user_id, 10)
    assert granted["balance_after"] == 10
    await grant(client, user_id, 4, pool="allowance")
    first = (await post(client, "/deduct", deduct_body(user_id, 3), 200)).json()
    assert first["pools_used"] == {"allowance": 3, "purchased": 0}
    assert first["balance_after"] == 11
    mixed = (await post(client, "/deduct", deduct_body(user_id, 5), 200)).json()
    assert mixed["pools_used"] == {"allowance": 1, "purchased": 4}
    assert mixed["balance_after"] == 6
    balance = await pools(client, user_id)
    assert balance["credits"] == 6
    assert balance["total_credits_purchased"] == 10
    assert balance["pools"] == {"allowance": 0, "purchased": 6, "reserved": 0}
    assert balance["created_at"]
    assert await ledger_problems(auth_app) == []


async def test_retry_returns_the_first_answer_and_moves_nothing(
    client: httpx.AsyncClient, auth_app: FastAPI, user_id: str
) -> None:
    await grant(client, user_id, 10)
    body = deduct_body(user_id, 4, resource_id="doc-1")
    first = await post(client, "/deduct", body, 200)
    assert "idempotent-replayed" not in first.headers
    before = await snapshot(auth_app.state.db)
    again = await post(client, "/deduct", body, 200)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await snapshot(auth_app.state.db) == before
    # the same key with another amount (or another operation) is refused
    for changed in ({**body, "amount": 5}, {**body, "operation": "other"}):
        conflict = await post(client, "/deduct", changed, 409)
        assert conflict.json()["error"] == "idempotency_conflict"
    assert await snapshot(auth_app.state.db) == before
    assert (await pools(client, user_id))["credits"] == 6


@pytest.mark.parametrize(
    "amount", [0, -1, 1.5, 2.0, 1_000_000_001, 10**30, "5", "five", True, None, [], {}]
)
async def test_bad_amounts_are_422_and_move_nothing(
    client: httpx.AsyncClient, auth_app: FastAPI, user_id: str, amount: Any
) -> None:
    await grant(client, user_id, 10)
    hold = (
        await post(client, "/holds", {"user_id": user_id, "amount": 2, "idempotency_key": "h"}, 201)
    ).json()
    before = await snapshot(auth_app.state.db)
    calls = [
        ("/deduct", deduct_body(user_id, amount)),
        ("/grant", {"user_id": user_id, "amount": amount, "idempotency_key": "g", "reason": "r"}),
        ("/holds", {"user_id": user_id, "amount": amount, "idempotency_key": "h2"}),
        (f"/holds/{hold['hold_id']}/capture", {"amount": amount, "idempotency_key": "c"}),
    ]
    for path, body in calls:
        response = await post(client, path, body, 422)
        assert response.json()["error"] == "validation_error"
    assert await snapshot(auth_app.state.db) == before


async def test_missing_fields_and_owners_are_422(
    client: httpx.AsyncClient, user_id: str, auth_app: FastAPI
) -> None:
    before = await snapshot(auth_app.state.db)
    no_owner = {"amount": 1, "idempotency_key": "k", "operation": "search"}
    two_owners = {**no_owner, "user_id": user_id, "organization_id": "o"}
    for body in (no_owner, two_owners, {**deduct_body(user_id, 1), "idempotency_key": ""}):
        await post(client, "/deduct", body, 422)
    await post(client, "/deduct", {**deduct_body(user_id, 1), "extra": 1}, 422)
    key_grant = {"api_key_id": "k", "amount": 1, "idempotency_key": "g", "reason": "r"}
    await post(client, "/grant", key_grant, 422)
    assert await snapshot(auth_app.state.db) == before


async def test_unknown_owners_and_holds_are_404(
    client: httpx.AsyncClient, auth_app: FastAPI
) -> None:
    before = await snapshot(auth_app.state.db)
    cases = [
        ("/deduct", {"user_id": "nobody", "amount": 1, "idempotency_key": "k", "operation": "s"}),
        ("/grant", {"organization_id": "none", "amount": 1, "idempotency_key": "k", "reason": "r"}),
        ("/deduct", {"api_key_id": "none", "amount": 1, "idempotency_key": "k", "operation": "s"}),
        ("/holds/none/capture", {"amount": 1, "idempotency_key": "k"}),
        ("/holds/none/release", {"idempotency_key": "k"}),
    ]
    codes = []
    for path, body in cases:
        codes.append((await post(client, path, body, 404)).json()["error"])
    assert codes == [
        "user_not_found",
        "organization_not_found",
        "api_key_not_found",
        "hold_not_found",
        "hold_not_found",
    ]
    missing = await client.get(f"{CREDITS}/balance", params={"user_id": "x"}, headers=INTERNAL)
    assert missing.status_code == 404
    assert await snapshot(auth_app.state.db) == before


async def test_insufficient_credits_is_402_with_the_balance(
    client: httpx.AsyncClient, auth_app: FastAPI, user_id: str
) -> None:
    await grant(client, user_id, 5)
    await post(client, "/holds", {"user_id": user_id, "amount": 2, "idempotency_key": "h"}, 201)
    before = await snapshot(auth_app.state.db)
    refused = await post(client, "/deduct", deduct_body(user_id, 4), 402)
    body = refused.json()
    assert body["error"] == "insufficient_credits"
    assert body["balance"] == 3
    assert body["required"] == 4
    assert body["pools"] == {"allowance": 0, "purchased": 5, "reserved": 2}
    held = await post(client, "/holds", {"user_id": user_id, "amount": 4, "idempotency_key": "x"})
    assert held.status_code == 402
    assert await snapshot(auth_app.state.db) == before
    # nothing was claimed: the same key works once there is enough
    key = new_key()
    await post(client, "/deduct", deduct_body(user_id, 9, key), 402)
    await grant(client, user_id, 10)
    assert (await post(client, "/deduct", deduct_body(user_id, 9, key), 200)).json()


async def test_hold_capture_release_rules(
    client: httpx.AsyncClient, auth_app: FastAPI, user_id: str
) -> None:
    await grant(client, user_id, 20)
    hold_body = {"user_id": user_id, "amount": 8, "idempotency_key": "h1", "operation": "doc"}
    opened = await post(client, "/holds", hold_body, 201)
    hold = opened.json()
    assert hold["amount"] == 8
    assert hold["status"] == "held"
    expires = datetime.fromisoformat(hold["expires_at"])
    assert timedelta(minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=1)
    again = await post(client, "/holds", hold_body, 201)
    assert again.json() == hold
    assert (await pools(client, user_id))["pools"]["reserved"] == 8
    capture = f"/holds/{hold['hold_id']}/capture"

    before = await snapshot(auth_app.state.db)
    above = await post(client, capture, {"amount": 9, "idempotency_key": "c0"}, 409)
    assert above.json()["error"] == "capture_exceeds_hold"
    assert await snapshot(auth_app.state.db) == before

    captured = (await post(client, capture, {"amount": 5, "idempotency_key": "c1"}, 200)).json()
    assert captured["captured"] == 5
    assert captured["released"] == 3
    assert captured["balance_after"] == 15
    assert (await pools(client, user_id))["pools"] == {
        "allowance": 0,
        "purchased": 15,
        "reserved": 0,
    }
    before = await snapshot(auth_app.state.db)
    replay = await post(client, capture, {"amount": 5, "idempotency_key": "c1"}, 200)
    assert replay.json() == captured
    twice = await post(client, capture, {"amount": 5, "idempotency_key": "c2"}, 409)
    assert twice.json()["error"] == "hold_captured"
    release = await post(client, f"/holds/{hold['hold_id']}/release", {"idempotency_key": "r"})
    assert release.json()["error"] == "hold_captured"
    assert await snapshot(auth_app.state.db) == before

    second = (
        await post(
            client, "/holds", {"user_id": user_id, "amount": 4, "idempotency_key": "h2"}, 201
        )
    ).json()
    path = f"/holds/{second['hold_id']}"
    released = (await post(client, f"{path}/release", {"idempotency_key": "r1"}, 200)).json()
    assert released["released"] == 4
    before = await snapshot(auth_app.state.db)
    same = await post(client, f"{path}/release", {"idempotency_key": "r1"}, 200)
    assert same.json() == released
    other = await post(client, f"{path}/release", {"idempotency_key": "r2"}, 409)
    assert other.json()["error"] == "hold_released"
    late = await post(client, f"{path}/capture", {"amount": 1, "idempotency_key": "c3"}, 409)
    assert late.json()["error"] == "hold_released"
    reused = await post(client, f"{path}/capture", {"amount": 1, "idempotency_key": "r1"}, 409)
    assert reused.json()["error"] == "idempotency_conflict"
    assert await snapshot(auth_app.state.db) == before
    assert (await pools(client, user_id))["credits"] == 15
    assert await ledger_problems(auth_app) == []


async def test_expired_holds_are_refused_and_swept(
    client: httpx.AsyncClient, auth_app: FastAPI, user_id: str
) -> None:
    await grant(client, user_id, 10)
    hold = (
        await post(
            client,
            "/holds",
            {"user_id": user_id, "amount": 6, "idempotency_key": "h", "expires_in_seconds": 60},
            201,
        )
    ).json()
    database = auth_app.state.db
    async with database.transaction() as db:
        await db.execute(
            text("UPDATE credit_holds SET expires_at = :t WHERE id = :id"),
            {"t": datetime.now(UTC) - timedelta(seconds=1), "id": hold["hold_id"]},
        )
    before = await snapshot(database)
    late = await post(
        client, f"/holds/{hold['hold_id']}/capture", {"amount": 1, "idempotency_key": "c"}
    )
    assert late.status_code == 409
    assert late.json()["error"] == "hold_expired"
    assert await snapshot(database) == before
    assert await sweep_expired_holds(database) == 1
    assert await sweep_expired_holds(database) == 0  # idempotent
    assert (await pools(client, user_id))["pools"]["reserved"] == 0
    assert await ledger_problems(auth_app) == []


async def test_api_key_pool_spend_cap_and_revocation(
    client: httpx.AsyncClient, auth_app: FastAPI, user_id: str
) -> None:
    database = auth_app.state.db
    await grant(client, user_id, 100)
    key_id = await make_api_key(database, user_id=user_id, spend_cap=10, period="day")
    funded = await post(
        client,
        "/transfers",
        {"api_key_id": key_id, "amount": 6, "idempotency_key": "f", "direction": "to_key"},
        200,
    )
    assert funded.json()["to_balance_after"] == 6
    via_key = {"api_key_id": key_id, "operation": "search"}
    first = (
        await post(client, "/deduct", {**via_key, "amount": 4, "idempotency_key": "a"}, 200)
    ).json()
    assert first["api_key_id"] == key_id
    assert first["account_id"] == funded.json()["to_account_id"]  # the key's own pool paid
    # the pool has 2 left: this one is paid by the owner
    second = (
        await post(client, "/deduct", {**via_key, "amount": 5, "idempotency_key": "b"}, 200)
    ).json()
    assert second["account_id"] == funded.json()["from_account_id"]
    before = await snapshot(database)
    capped = await post(client, "/deduct", {**via_key, "amount": 2, "idempotency_key": "c"}, 402)
    body = capped.json()
    assert body["error"] == "spend_cap_reached"
    assert (body["spend_cap"], body["spent"], body["period"]) == (10, 9, "day")
    held = await post(client, "/holds", {"api_key_id": key_id, "amount": 2, "idempotency_key": "d"})
    assert held.status_code == 402
    assert await snapshot(database) == before
    # the owner's own charges do not count against the key's cap
    await post(client, "/deduct", deduct_body(user_id, 2), 200)

    hold = (
        await post(
            client, "/holds", {"api_key_id": key_id, "amount": 1, "idempotency_key": "e"}, 201
        )
    ).json()
    async with database.transaction() as db:
        returned = await service.return_key_pool(db, key_id, actor="user:test")
    assert returned.body["amount"] == 2  # the pool's 2, its hold released first
    async with database.transaction() as db:
        again = await service.return_key_pool(db, key_id, actor="user:test")
    assert again.replayed
    assert again.body == returned.body
    late = await post(
        client, f"/holds/{hold['hold_id']}/capture", {"amount": 1, "idempotency_key": "x"}
    )
    assert late.json()["error"] == "hold_released"
    await revoke_api_key(database, key_id)
    revoked = await post(client, "/deduct", {**via_key, "amount": 1, "idempotency_key": "z"}, 401)
    assert revoked.json()["error"] == "api_key_revoked"
    assert (await pools(client, user_id))["credits"] == 100 - 5 - 2 - 4
    assert await ledger_problems(auth_app) == []


async def test_set_allowance_replaces_the_period(
    client: httpx.AsyncClient, auth_app: FastAPI, user_id: str
) -> None:
    database = auth_app.state.db
    owner = service.Owner("user", user_id)
    end = datetime(2031, 1, 1, tzinfo=UTC)
    async with database.transaction() as db:
        first = await service.set_allowance(db, owner, 50, end, "invoice-1")
    assert first.body["balance_after"] == 50
    await post(client, "/deduct", deduct_body(user_id, 20), 200)
    async with database.transaction() as db:
        second = await service.set_allowance(db, owner, 40, end + timedelta(days=31), "invoice-2")
        replay = await service.set_allowance(db, owner, 40, end + timedelta(days=31), "invoice-2")
    assert replay.replayed
    assert replay.body == second.body
    balance = await pools(client, user_id)
    assert balance["pools"]["allowance"] == 40
    assert balance["allowance_resets_at"].startswith("2031-02-01")
    history = await client.get(
        f"{CREDITS}/transactions",
        params={"user_id": user_id, "kind": "allowance_expired"},
        headers=INTERNAL,
    )
    assert [e["amount"] for e in history.json()["items"]] == [-30]
    assert await ledger_problems(auth_app) == []


async def test_balance_limit_is_a_clear_409(
    client: httpx.AsyncClient, auth_app: FastAPI, user_id: str
) -> None:
    await grant(client, user_id, 1_000_000_000)
    await grant(client, user_id, 1_000_000_000)
    before = await snapshot(auth_app.state.db)
    body = {"user_id": user_id, "amount": 1_000_000_000, "idempotency_key": "big", "reason": "r"}
    refused = await post(client, "/grant", body, 409)
    assert refused.json()["error"] == "balance_limit"
    assert await snapshot(auth_app.state.db) == before


async def test_internal_endpoints_need_the_service_credential(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{CREDITS}/deduct", json={})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_service_token"


async def test_user_api_balance_history_and_teams(
    client: httpx.AsyncClient, auth_app: FastAPI
) -> None:
    account = await sign_up(client)
    user_id = account.user["id"]
    assert (await client.get("/api/v1/credits/balance")).status_code == 401
    fresh = await client.get("/api/v1/credits/balance", headers=account.bearer)
    assert fresh.status_code == 200
    assert fresh.json()["credits"] == 0
    await grant(client, user_id, 10)
    for n in (1, 2, 3):
        await post(client, "/deduct", deduct_body(user_id, n), 200)
    balance = (await client.get("/api/v1/credits/balance", headers=account.bearer)).json()
    assert balance["credits"] == 4
    assert set(balance) == {
        "credits",
        "total_credits_purchased",
        "created_at",
        "pools",
        "allowance_resets_at",
    }
    history = await client.get(
        "/api/v1/credits/transactions",
        params={"limit": 2, "kind": "deduct"},
        headers=account.bearer,
    )
    page = history.json()
    assert [e["amount"] for e in page["items"]] == [-3, -2]  # newest first
    assert (page["total"], page["has_more"]) == (3, True)
    future = (datetime.now(UTC) + timedelta(hours=1)).replace(tzinfo=None).isoformat()
    none_since = await client.get(
        "/api/v1/credits/transactions", params={"since": future}, headers=account.bearer
    )
    assert none_since.json()["total"] == 0
    until = await client.get(
        "/api/v1/credits/transactions", params={"until": future}, headers=account.bearer
    )
    assert until.json()["total"] == 4
    bad = await client.get(
        "/api/v1/credits/transactions", params={"kind": "bogus"}, headers=account.bearer
    )
    assert bad.status_code == 422

    created = await client.post(
        "/api/auth/organization/create",
        json={"name": "Ledger Team", "slug": new_key("team")},
        headers=account.bearer,
    )
    org_id = created.json()["id"]
    await post(
        client,
        "/grant",
        {"organization_id": org_id, "amount": 7, "idempotency_key": "t", "reason": "r"},
        200,
    )
    team = await client.get(
        "/api/v1/credits/balance", params={"organization_id": org_id}, headers=account.bearer
    )
    assert team.json()["credits"] == 7
    outsider = await sign_up(client)
    refused = await client.get(
        "/api/v1/credits/balance", params={"organization_id": org_id}, headers=outsider.bearer
    )
    assert refused.status_code == 403
    assert refused.json()["error"] == "not_a_member"


async def test_content_service_answers_the_same_paths(
    client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    account = await sign_up(client)
    user_id = account.user["id"]
    await grant(client, user_id, 9)
    await post(client, "/deduct", deduct_body(user_id, 2), 200)
    direct = (await client.get("/api/v1/credits/balance", headers=account.bearer)).json()
    proxied = await content_client.get("/api/v1/credits/balance", headers=account.bearer)
    assert proxied.status_code == 200, proxied.text
    assert proxied.json() == direct
    assert proxied.json()["credits"] == 7
    history = await content_client.get(
        "/api/v1/credits/transactions", params={"kind": "deduct"}, headers=account.bearer
    )
    assert [e["amount"] for e in history.json()["items"]] == [-2]
    assert (await content_client.get("/api/v1/credits/balance")).status_code == 401
    not_member = await content_client.get(
        "/api/v1/credits/balance", params={"organization_id": "nope"}, headers=account.bearer
    )
    assert not_member.status_code == 403
    assert not_member.json()["error"] == "not_a_member"
    bad = await content_client.get(
        "/api/v1/credits/transactions", params={"limit": 0}, headers=account.bearer
    )
    assert bad.status_code == 422


async def test_spend_cap_counts_the_pool_and_captures(
    client: httpx.AsyncClient, auth_app: FastAPI, user_id: str
) -> None:
    database = auth_app.state.db
    await grant(client, user_id, 100)
    key_id = await make_api_key(database, user_id=user_id, spend_cap=10, period="week")
    via_key = {"api_key_id": key_id, "operation": "doc"}
    # no pool yet: this hold sits on the owner's account
    hold = (
        await post(client, "/holds", {**via_key, "amount": 6, "idempotency_key": "h"}, 201)
    ).json()
    fund = {"api_key_id": key_id, "amount": 5, "idempotency_key": "f", "direction": "to_key"}
    pool_id = (await post(client, "/transfers", fund, 200)).json()["to_account_id"]
    too_much = {**fund, "amount": 6, "idempotency_key": "f2", "direction": "to_owner"}
    assert (await post(client, "/transfers", too_much, 402)).json()["balance"] == 5
    paid = await post(client, "/deduct", {**via_key, "amount": 5, "idempotency_key": "d"}, 200)
    assert paid.json()["account_id"] == pool_id
    before = await snapshot(database)
    capture = f"/holds/{hold['hold_id']}/capture"
    capped = await post(client, capture, {"amount": 6, "idempotency_key": "c"}, 402)
    assert capped.json()["error"] == "spend_cap_reached"
    assert capped.json()["spent"] == 5
    assert await snapshot(database) == before
    captured = (await post(client, capture, {"amount": 5, "idempotency_key": "c2"}, 200)).json()
    assert captured["released"] == 1
    assert captured["api_key_id"] == key_id
    assert await ledger_problems(auth_app) == []


async def test_a_team_key_charges_the_team(client: httpx.AsyncClient, auth_app: FastAPI) -> None:
    owner = await sign_up(client)
    created = await client.post(
        "/api/auth/organization/create",
        json={"name": "Key Team", "slug": new_key("team")},
        headers=owner.bearer,
    )
    org_id = created.json()["id"]
    team_grant = {"organization_id": org_id, "amount": 9, "idempotency_key": "g", "reason": "r"}
    await post(client, "/grant", team_grant, 200)
    key_id = await make_api_key(auth_app.state.db, organization_id=org_id)
    body = {"api_key_id": key_id, "amount": 4, "idempotency_key": "k", "operation": "s"}
    charged = (await post(client, "/deduct", body, 200)).json()
    assert charged["balance_after"] == 5
    team = await client.get(
        f"{CREDITS}/balance", params={"organization_id": org_id}, headers=INTERNAL
    )
    assert team.json()["credits"] == 5


async def test_a_plain_key_charge_answers_as_the_step_by_step_path(
    client: httpx.AsyncClient, auth_app: FastAPI, user_id: str
) -> None:
    """On PostgreSQL an HTTP deduction through an active key with no cap and no pool is one
    statement; it must store and answer exactly what the step-by-step path does."""
    database = auth_app.state.db
    await grant(client, user_id, 50)
    quick_key = await make_api_key(database, user_id=user_id)
    stepped_key = await make_api_key(database, user_id=user_id)
    over_http = (
        await post(
            client,
            "/deduct",
            {"api_key_id": quick_key, "amount": 3, "idempotency_key": "q", "operation": "search"},
            200,
        )
    ).json()
    async with database.transaction() as db:
        in_steps = (
            await service.deduct(
                db, service.Owner("api_key", stepped_key), 3, "q2", operation="search"
            )
        ).body

    def shape(body: dict[str, Any]) -> dict[str, Any]:
        ids = ("operation_id", "transaction_id", "api_key_id", "created_at", "entries")
        return {k: v for k, v in body.items() if k not in ids}

    assert shape(over_http) == {**shape(in_steps), "balance_after": 47}
    assert in_steps["balance_after"] == 44
    assert over_http["api_key_id"] == quick_key
    assert over_http["account_id"] == in_steps["account_id"]  # the owner's account paid
    actors = await database_rows(
        auth_app, "SELECT DISTINCT actor FROM credit_transactions WHERE kind = 'deduct'"
    )
    assert {f"api_key:{quick_key}", f"api_key:{stepped_key}"} <= set(actors)
    # a retry answers the first answer and moves nothing
    again = await post(
        client,
        "/deduct",
        {"api_key_id": quick_key, "amount": 3, "idempotency_key": "q", "operation": "search"},
        200,
    )
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == over_http
    # revoked and expired keys are still refused
    await revoke_api_key(database, quick_key)
    refused = await post(
        client,
        "/deduct",
        {"api_key_id": quick_key, "amount": 1, "idempotency_key": "r", "operation": "s"},
        401,
    )
    assert refused.json()["error"] == "api_key_revoked"
    async with database.transaction() as db:
        await db.execute(
            text("UPDATE api_keys SET expires_at = :t WHERE id = :k"),
            {"t": datetime.now(UTC) - timedelta(seconds=1), "k": stepped_key},
        )
    expired = await post(
        client,
        "/deduct",
        {"api_key_id": stepped_key, "amount": 1, "idempotency_key": "s", "operation": "s"},
        401,
    )
    assert expired.json()["error"] == "api_key_expired"
    assert (await pools(client, user_id))["credits"] == 44
    assert await ledger_problems(auth_app) == []


async def database_rows(app: FastAPI, sql: str) -> list[Any]:
    async with app.state.db.transaction() as db:
        return list((await db.execute(text(sql))).scalars())
