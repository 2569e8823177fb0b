"""Replay: 50 recorded webhook events for several customers, delivered shuffled and with
random duplicates, end in exactly the state in-order delivery ends in (balances,
subscriptions, purchases, earnings), for every seed."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from fltr_auth.billing.models import CuratorEarning, Purchase, StripeEvent, Subscription
from fltr_auth.credits.models import CreditAccount
from fltr_auth.users.models import User
from tests.auth.billing_support.app import Billing, billing_app_fixture  # noqa: F401 (fixture)
from tests.auth.billing_support.fake_stripe import FakeStripe
from tests.auth.billing_support.scenario import recorded, users
from tests.auth.credit_helpers import ledger_problems
from tests.conftest import cookieless_client, rolled_back

pytestmark = pytest.mark.core

SEEDS = 20


async def snapshot(app: FastAPI, prefix: str) -> dict[str, Any]:
    ids = users(prefix)
    async with app.state.db.transaction() as db:
        accounts = {
            row.user_id: (
                row.allowance,
                row.purchased,
                row.reserved,
                row.total_purchased,
                row.allowance_resets_at,
            )
            for row in (
                await db.execute(
                    select(CreditAccount).where(CreditAccount.user_id.in_(ids.values()))
                )
            ).scalars()
        }
        subs = {
            s.stripe_subscription_id: (
                s.status,
                s.plan,
                s.kind,
                s.dataset_id,
                s.period_end,
                s.cancel_at_period_end,
                s.reference_id,
            )
            for s in (await db.execute(select(Subscription))).scalars()
            if s.stripe_subscription_id.startswith(f"sub_{prefix}")
        }
        purchases = {
            p.source_id: (
                p.kind,
                p.status,
                p.amount_cents,
                p.credits,
                p.reversed_cents,
                p.credits_clawed_back,
                p.credits_shortfall,
                p.plan,
            )
            for p in (await db.execute(select(Purchase))).scalars()
            if prefix in p.source_id
        }
        by_purchase = {p.id: p.source_id for p in (await db.execute(select(Purchase))).scalars()}
        earnings = {
            by_purchase[e.purchase_id]: (
                e.curator_id,
                e.amount_cents,
                e.reversed_cents,
                e.payout_status,
                e.subscription_id,
            )
            for e in (await db.execute(select(CuratorEarning))).scalars()
            if e.curator_id == ids["cur"]
        }
        events = {e.id for e in (await db.execute(select(StripeEvent))).scalars() if prefix in e.id}
        customers = {
            u.id: u.stripe_customer_id
            for u in (await db.execute(select(User).where(User.id.in_(ids.values())))).scalars()
        }
    return {
        "accounts": accounts,
        "subscriptions": subs,
        "purchases": purchases,
        "earnings": earnings,
        "events": events,
        "customers": customers,
    }


async def run(app: FastAPI, prefix: str, deliveries: list[dict[str, Any]]) -> dict[str, Any]:
    """Deliver into a fresh (rolled-back) state; the state it ends in."""
    async with rolled_back(app.state.db), cookieless_client(app, "http://auth.test") as client:
        async with app.state.db.transaction() as db:
            for user_id in users(prefix).values():
                db.add(User(id=user_id, name=user_id, email=f"{user_id}@example.com"))
        billing = Billing(app, client, FakeStripe())
        for evt in deliveries:
            await billing.deliver(evt)
        assert await ledger_problems(app) == []
        return await snapshot(app, prefix)


def shuffled_with_duplicates(events: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    deliveries = list(events) + [rng.choice(events) for _ in range(rng.randint(5, 25))]
    rng.shuffle(deliveries)
    return deliveries


async def test_in_order_delivery_ends_where_the_story_says(billing_app: FastAPI) -> None:
    prefix = "rp0"
    state = await run(billing_app, prefix, recorded(prefix, int(time.time())))
    u = users(prefix)
    accounts = state["accounts"]
    # ann: 1000 (refunded in full) + 10000 paid later; pro allowance of the newest period
    assert accounts[u["ann"]][:2] == (5000, 10000)
    # cat: the pack's payment failed
    assert u["cat"] not in accounts or accounts[u["cat"]][1] == 0
    # dan: 3000 bought, half disputed; his plan was canceled but the allowance stays
    assert accounts[u["dan"]][:2] == (5000, 1500)
    # eve: 10000 for 9000 cents, half refunded -> 5000; 1000 refunded in full -> 0
    assert accounts[u["eve"]][:2] == (0, 5000)
    assert state["subscriptions"][f"sub_{prefix}_bob_ds"][0] == "canceled"
    assert state["subscriptions"][f"sub_{prefix}_ann"][:2] == ("active", "pro")
    assert state["subscriptions"][f"sub_{prefix}_ann"][5] is True
    assert state["subscriptions"][f"sub_{prefix}_eve_ds"][0] == "active"
    assert state["purchases"][f"in_{prefix}_d_i1"][1] == "paid"
    assert state["purchases"][f"cs_{prefix}_c3"][1] == "failed"
    earnings = state["earnings"]
    assert earnings[f"in_{prefix}_b_i1"][1:4] == (630, 0, "pending")
    assert earnings[f"in_{prefix}_b_i2"][1:4] == (630, 630, "reversed")
    assert earnings[f"cs_{prefix}_c1"][1:4] == (1750, 700, "pending")
    assert earnings[f"cs_{prefix}_c2"][1:4] == (2800, 2800, "reversed")
    assert earnings[f"in_{prefix}_e_i1"][1:4] == (840, 210, "pending")
    assert f"in_{prefix}_e_i0" not in earnings  # a free trial invoice earns nothing
    assert len(state["events"]) == 50


@pytest.mark.parametrize("seed", range(SEEDS))
async def test_shuffled_duplicated_delivery_ends_in_the_same_state(
    billing_app: FastAPI, seed: int
) -> None:
    prefix = "rp"
    now = int(time.time())
    events = recorded(prefix, now)
    expected = await run(billing_app, prefix, events)
    actual = await run(billing_app, prefix, shuffled_with_duplicates(events, seed))
    assert actual == expected
