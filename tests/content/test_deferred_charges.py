"""Search charges answered first and sent to the ledger a moment later, in batches
(``fltr_content.credits.deferred``), against the real auth service over HTTP.

The app here never sends on its own (its timed sends are paused): each test sends with
``flush()`` when it wants the ledger to see the charges, so what is charged when is exact."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from fltr_content.credits.deferred import DeferredCharges
from fltr_content.settings import ContentSettings
from fltr_shared.metrics_catalog import REGISTRY
from tests.auth.credit_helpers import new_key, post
from tests.auth.helpers import SignedUp
from tests.content.search_support import (
    Indexed,
    api_key,
    balance,
    bearer,
    create_dataset,
    funded,
    index,
    quiet_app,
    rolled_back_client,
    search,
)

pytestmark = pytest.mark.core

MIN_BALANCE = 100  # the default SEARCH_DEFERRED_MIN_BALANCE


@pytest.fixture(scope="module")
async def content_app(
    content_settings: ContentSettings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    settings = content_settings.model_copy(
        update={"search_deferred_min_balance": MIN_BALANCE, "search_charge_flush_seconds": 10}
    )
    async with quiet_app(settings, tmp_path_factory.mktemp("deferred")) as app:
        app.state.deferred_charges.pause()
        yield app


@pytest.fixture
async def content_client(content_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with rolled_back_client(content_app) as client:
        yield client
        await content_app.state.deferred_charges.flush()  # nothing left for the next test


def deferred(app: FastAPI) -> DeferredCharges:
    charges: DeferredCharges = app.state.deferred_charges
    return charges


def counted(outcome: str) -> float:
    return REGISTRY.get_sample_value("fltr_deferred_charges_total", {"outcome": outcome}) or 0.0


async def setup(
    auth_client: httpx.AsyncClient,
    content_client: httpx.AsyncClient,
    content_app: FastAPI,
    credits: int,
    **key_body: Any,
) -> tuple[SignedUp, Indexed, str]:
    owner = await funded(auth_client, credits)
    indexed = await index(content_app, await create_dataset(content_client, owner))
    return owner, indexed, await api_key(auth_client, owner, **key_body)


async def deduct_entries(auth_client: httpx.AsyncClient, owner: SignedUp) -> list[dict[str, Any]]:
    response = await auth_client.get(
        "/api/v1/credits/transactions", params={"kind": "deduct"}, headers=owner.bearer
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_payer_with_plenty_is_answered_first_and_charged_once_a_search(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, content_app: FastAPI
) -> None:
    owner, indexed, key = await setup(auth_client, content_client, content_app, 1000)
    charges = deferred(content_app)
    ok_before, replayed_before = counted("ok"), counted("replayed")

    # the first search of a payer in this process is charged first: it learns the balance
    first = await search(content_client, indexed.slug, bearer(key), query="terns")
    assert first.status_code == 200, first.text
    assert charges.pending == 0
    assert await balance(auth_client, owner) == 999

    retried = {**bearer(key), "Idempotency-Key": "retry-me"}
    for query in ("solar panels", "the knight", "batteries"):
        answered = await search(content_client, indexed.slug, bearer(key), query=query)
        assert answered.status_code == 200
        assert answered.json()["credits_charged"] == 1
    for _ in range(2):  # a retry of one request: answered twice, charged once
        again = await search(content_client, indexed.slug, retried, query="wind")
        assert again.status_code == 200
    assert charges.pending == 5
    assert await balance(auth_client, owner) == 999  # answered, not charged yet

    assert await charges.flush() == 5
    assert charges.pending == 0
    assert await balance(auth_client, owner) == 995
    assert counted("ok") - ok_before == 4
    assert counted("replayed") - replayed_before == 1
    entries = await deduct_entries(auth_client, owner)
    assert len(entries) == 5  # one ledger entry a search, each under its own key
    assert len({e["idempotency_key"] for e in entries}) == 5
    assert all(e["idempotency_key"].startswith("search:") for e in entries)


async def test_the_content_balance_read_sends_the_queued_charges_first(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, content_app: FastAPI
) -> None:
    _, indexed, key = await setup(auth_client, content_client, content_app, 500)
    for query in ("terns", "solar", "chess"):
        assert (await search(content_client, indexed.slug, bearer(key), query=query)).is_success
    assert deferred(content_app).pending == 2
    seen = await content_client.get("/api/v1/credits/balance", headers=bearer(key))
    assert seen.status_code == 200, seen.text
    assert seen.json()["credits"] == 497
    assert deferred(content_app).pending == 0


async def test_a_reused_idempotency_key_with_another_query_is_another_charge(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, content_app: FastAPI
) -> None:
    owner, indexed, key = await setup(auth_client, content_client, content_app, 10)
    headers = {**bearer(key), "Idempotency-Key": "one-key"}
    for query in ("terns", "solar", "terns"):
        assert (await search(content_client, indexed.slug, headers, query=query)).is_success
    # "terns" twice is one request retried; "solar" under the same key is a search of its own
    assert await balance(auth_client, owner) == 8
    other_dataset = await index(content_app, await create_dataset(content_client, owner))
    assert (await search(content_client, other_dataset.slug, headers, query="terns")).is_success
    assert await balance(auth_client, owner) == 7


async def test_near_the_floor_every_search_is_charged_first(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, content_app: FastAPI
) -> None:
    owner, indexed, key = await setup(auth_client, content_client, content_app, MIN_BALANCE + 2)
    charges = deferred(content_app)
    assert (await search(content_client, indexed.slug, bearer(key), query="a")).is_success
    assert (charges.pending, await balance(auth_client, owner)) == (0, MIN_BALANCE + 1)
    # 101 known, nothing on its way: one more leaves 100, the floor -- answered first
    assert (await search(content_client, indexed.slug, bearer(key), query="b")).is_success
    assert charges.pending == 1
    # another would leave 99 once the queued one is paid: charged first
    assert (await search(content_client, indexed.slug, bearer(key), query="c")).is_success
    assert charges.pending == 1
    assert await balance(auth_client, owner) == MIN_BALANCE
    await charges.flush()
    assert await balance(auth_client, owner) == MIN_BALANCE - 1


async def test_keys_with_a_spend_cap_are_always_charged_first(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, content_app: FastAPI
) -> None:
    owner, indexed, key = await setup(
        auth_client, content_client, content_app, 1000, spend_cap=2, spend_cap_period="day"
    )
    for query in ("a", "b"):
        assert (await search(content_client, indexed.slug, bearer(key), query=query)).is_success
        assert deferred(content_app).pending == 0
    capped = await search(content_client, indexed.slug, bearer(key), query="c")
    assert capped.status_code == 402
    assert capped.json()["error"] == "spend_cap_reached"
    assert await balance(auth_client, owner) == 998


async def test_a_charge_refused_after_the_answer_closes_the_fast_path_for_that_payer(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, content_app: FastAPI
) -> None:
    owner, indexed, key = await setup(auth_client, content_client, content_app, 1000)
    charges = deferred(content_app)
    refused_before = counted("insufficient_credits")
    assert (await search(content_client, indexed.slug, bearer(key), query="a")).is_success
    assert (await search(content_client, indexed.slug, bearer(key), query="b")).is_success
    assert charges.pending == 1
    # the payer spends everything elsewhere before the queued charge reaches the ledger
    await post(
        auth_client,
        "/deduct",
        {
            "user_id": owner.user["id"],
            "amount": 999,
            "idempotency_key": new_key(),
            "operation": "elsewhere",
        },
        200,
    )
    assert await charges.flush() == 1
    assert counted("insufficient_credits") - refused_before == 1  # served, not paid
    assert await balance(auth_client, owner) == 0
    # from now on this payer is charged before being answered: an exact 402
    after = await search(content_client, indexed.slug, bearer(key), query="c")
    assert after.status_code == 402
    assert after.json()["error"] == "insufficient_credits"
    assert charges.pending == 0


async def test_stopping_the_app_sends_what_is_queued(
    auth_client: httpx.AsyncClient,
    content_settings: ContentSettings,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    async with quiet_app(content_settings, tmp_path_factory.mktemp("stop")) as app:
        deferred(app).pause()
        async with rolled_back_client(app) as client:
            owner, indexed, key = await setup(auth_client, client, app, 1000)
            for query in ("a", "b", "c"):
                assert (await search(client, indexed.slug, bearer(key), query=query)).is_success
            assert deferred(app).pending == 2
            assert await balance(auth_client, owner) == 999
            async with app.state.db.transaction() as session:  # keep the rows for the check
                await session.execute(text("SELECT 1"))
    # the lifespan's end sent the two queued charges
    assert await balance(auth_client, owner) == 997
