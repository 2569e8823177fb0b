"""Concurrent webhook delivery on PostgreSQL, every request its own committed transaction:
the recorded 50 events, shuffled, duplicated and delivered by 8 clients at once (a refund
racing the payment it refunds, two invoices of one plan racing), end in the state in-order
delivery ends in. A delivery that fails is retried, as Stripe retries."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import stripe
from fastapi import FastAPI

from fltr_auth.app import create_app
from fltr_auth.migration_spec import AUTH_MIGRATIONS
from fltr_auth.settings import AuthSettings
from fltr_auth.users.models import User
from tests.auth.billing_support.app import SECRET_KEY, Billing, billing_settings
from tests.auth.billing_support.fake_stripe import FakeStripe
from tests.auth.billing_support.scenario import recorded, users
from tests.auth.credit_helpers import ledger_problems
from tests.auth.test_billing_replay import shuffled_with_duplicates, snapshot
from tests.support import service_database

CLIENTS = 8
RUNS = 6


async def deliver_all(billing: Billing, deliveries: list[dict[str, Any]], clients: int) -> int:
    """Deliver with ``clients`` at once; returns how many deliveries had to be retried."""
    gate = asyncio.Semaphore(clients)
    retries = 0

    async def one(evt: dict[str, Any]) -> None:
        nonlocal retries
        async with gate:
            for _ in range(5):
                try:
                    await billing.deliver(evt)
                    return
                except AssertionError:
                    retries += 1
            await billing.deliver(evt)

    await asyncio.gather(*(one(evt) for evt in deliveries))
    return retries


async def play(app: FastAPI, prefix: str, deliveries: list[dict[str, Any]], clients: int) -> str:
    async with app.state.db.transaction() as db:
        for user_id in users(prefix).values():
            db.add(User(id=user_id, name=user_id, email=f"{user_id}@example.com"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://auth.test") as client:
        await deliver_all(Billing(app, client, FakeStripe()), deliveries, clients)
    # the same story under another prefix must read the same
    return repr(_sorted(await snapshot(app, prefix))).replace(prefix, "<p>")


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return sorted((repr(k), _sorted(v)) for k, v in value.items())
    if isinstance(value, set):
        return sorted(repr(v) for v in value)
    return value


async def test_concurrent_shuffled_delivery_matches_in_order(
    tmp_path: Path, auth_settings: AuthSettings
) -> None:
    async with service_database("fltr_auth_billing_race", AUTH_MIGRATIONS, tmp_path) as url:
        settings = billing_settings(auth_settings).model_copy(update={"database_url": url})
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            app.state.stripe_client = stripe.StripeClient(SECRET_KEY, http_client=FakeStripe())
            now = int(time.time())
            expected = await play(app, "s00", recorded("s00", now), clients=1)
            for run in range(RUNS):
                prefix = f"c{run:02d}"
                deliveries = shuffled_with_duplicates(recorded(prefix, now), seed=run)
                assert await play(app, prefix, deliveries, CLIENTS) == expected
            assert await ledger_problems(app) == []
