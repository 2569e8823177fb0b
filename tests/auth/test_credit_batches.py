"""``POST /internal/v1/credits/deductions``: several charges in one call, each answered and
stored exactly as ``/deduct`` would answer and store it alone."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.auth.credit_helpers import (
    grant,
    ledger_problems,
    make_api_key,
    make_user,
    new_key,
    pools,
    post,
    snapshot,
)

pytestmark = pytest.mark.core


def charge(amount: Any = 1, key: str | None = None, **owner: str) -> dict[str, Any]:
    return {
        **owner,
        "amount": amount,
        "idempotency_key": key or new_key(),
        "operation": "search",
        "resource_id": "dataset-1",
    }


async def test_each_item_is_answered_as_a_lone_deduction(
    auth_client: httpx.AsyncClient, auth_app: FastAPI
) -> None:
    database = auth_app.state.db
    rich, poor = await make_user(database), await make_user(database)
    await grant(auth_client, rich, 10)
    await grant(auth_client, poor, 1)
    capped = await make_api_key(database, user_id=rich, spend_cap=2, period="day")
    replayed_key = new_key()
    alone = (await post(auth_client, "/deduct", charge(2, replayed_key, user_id=rich), 200)).json()

    items = [
        charge(1, user_id=rich),  # plain: one statement
        charge(2, replayed_key, user_id=rich),  # the same request again: a replay
        charge(5, replayed_key, user_id=rich),  # the same key, another body: 409
        charge(2, user_id=poor),  # too little: 402 with the balance
        charge(2, api_key_id=capped),  # through a key with a cap: step by step
        charge(1, api_key_id=capped),  # past the cap: 402 spend_cap_reached
        charge(1, user_id="no-such-user"),  # 404
        charge(1, user_id=poor),  # the last credit of the poor user
    ]
    response = await post(auth_client, "/deductions", {"deductions": items}, 200)
    results = response.json()["results"]
    assert [r["status"] for r in results] == [200, 200, 409, 402, 200, 402, 404, 200]
    assert [i for i, r in enumerate(results) if r["replayed"]] == [1]
    assert results[1]["deduction"] == alone
    assert results[2]["error"]["error"] == "idempotency_conflict"
    assert results[3]["error"]["error"] == "insufficient_credits"
    assert results[3]["error"]["balance"] == 1
    assert results[5]["error"]["error"] == "spend_cap_reached"
    assert results[6]["error"]["error"] == "user_not_found"
    assert results[0]["deduction"]["balance_after"] == 7
    assert results[4]["deduction"]["balance_after"] == 5
    assert results[7]["deduction"]["balance_after"] == 0
    assert all(r["deduction"] is None for r in results if r["status"] != 200)
    assert all(r["error"] is None for r in results if r["status"] == 200)
    assert (await pools(auth_client, rich))["credits"] == 5
    assert (await pools(auth_client, poor))["credits"] == 0
    assert await ledger_problems(auth_app) == []

    # the whole batch again: every charge replays, nothing moves
    before = await snapshot(database)
    again = (await post(auth_client, "/deductions", {"deductions": items}, 200)).json()["results"]
    assert [r["status"] for r in again] == [r["status"] for r in results]
    assert [i for i, r in enumerate(again) if r["replayed"]] == [0, 1, 4, 7]
    assert await snapshot(database) == before


async def test_a_repeated_key_inside_one_batch_is_charged_once(
    auth_client: httpx.AsyncClient, auth_app: FastAPI
) -> None:
    user = await make_user(auth_app.state.db)
    await grant(auth_client, user, 5)
    key = new_key()
    results = (
        await post(
            auth_client,
            "/deductions",
            {"deductions": [charge(1, key, user_id=user), charge(1, key, user_id=user)]},
            200,
        )
    ).json()["results"]
    assert [(r["status"], r["replayed"]) for r in results] == [(200, False), (200, True)]
    assert (await pools(auth_client, user))["credits"] == 4


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"deductions": []},
        {"deductions": [charge(1, user_id="u")] * 501},
        {"deductions": [charge(0, user_id="u")]},
        {"deductions": [charge(1)]},  # no owner
        {"deductions": [{**charge(1, user_id="u"), "extra": 1}]},
    ],
    ids=["missing", "empty", "too_many", "zero", "no_owner", "unknown_field"],
)
async def test_a_bad_batch_is_422_and_charges_nothing(
    auth_client: httpx.AsyncClient, auth_app: FastAPI, body: dict[str, Any]
) -> None:
    before = await snapshot(auth_app.state.db)
    response = await post(auth_client, "/deductions", body, 422)
    assert response.json()["error"] == "validation_error"
    assert await snapshot(auth_app.state.db) == before


async def test_the_batch_needs_the_service_credential(auth_client: httpx.AsyncClient) -> None:
    response = await auth_client.post(
        "/internal/v1/credits/deductions", json={"deductions": [charge(1, user_id="u")]}
    )
    assert response.status_code == 401
