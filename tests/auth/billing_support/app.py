"""A billing-enabled auth app on the test database, its Stripe client over ``FakeStripe``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import stripe
from fastapi import FastAPI
from pydantic import SecretStr

from fltr_auth.app import create_app
from fltr_auth.billing.config import CreditPack, Plan, PlanLimits
from fltr_auth.settings import AuthSettings
from tests.auth.billing_support.events import body_of, sign
from tests.auth.billing_support.fake_stripe import FakeStripe
from tests.conftest import cookieless_client, rolled_back

SECRET_KEY = "sk_test_fltr_billing"
WEBHOOK_SECRET = "whsec_test_fltr_billing_0123456789"
PACKS = {
    "small": CreditPack(price_id="price_pack_small", credits=1000),
    "large": CreditPack(price_id="price_pack_large", credits=10000),
}
PLANS = {
    "free": Plan(limits=PlanLimits(datasets_per_month=5, api_keys=2, team_seats=3)),
    "pro": Plan(
        prices={"month": "price_pro_month", "year": "price_pro_year"},
        monthly_credits=5000,
        limits=PlanLimits(api_keys=10, documents=50_000),
    ),
}
WEBHOOK = "/api/v1/billing/webhooks/stripe"


@dataclass
class Billing:
    app: FastAPI
    client: httpx.AsyncClient
    stripe: FakeStripe

    async def deliver(
        self, evt: dict[str, Any], *, timestamp: int | None = None, expect: int = 200
    ) -> httpx.Response:
        body = body_of(evt)
        response = await self.client.post(
            WEBHOOK,
            content=body.encode(),
            headers={
                "Stripe-Signature": sign(body, WEBHOOK_SECRET, timestamp),
                "Content-Type": "application/json",
            },
        )
        assert response.status_code == expect, response.text
        return response


def billing_settings(auth_settings: AuthSettings) -> AuthSettings:
    return auth_settings.model_copy(
        update={
            "stripe_secret_key": SecretStr(SECRET_KEY),
            "stripe_webhook_secret": SecretStr(WEBHOOK_SECRET),
            "billing_credit_packs": PACKS,
            "billing_plans": PLANS,
            "billing_revenue_share_percent": 70.0,
        }
    )


@pytest.fixture(scope="session", name="billing_app")
async def billing_app_fixture(auth_settings: AuthSettings) -> AsyncIterator[FastAPI]:
    app = create_app(billing_settings(auth_settings))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(name="billing")
async def billing_fixture(billing_app: FastAPI) -> AsyncIterator[Billing]:
    fake = FakeStripe()
    billing_app.state.stripe_client = stripe.StripeClient(
        SECRET_KEY, http_client=fake, max_network_retries=2
    )
    async with (
        rolled_back(billing_app.state.db),
        cookieless_client(billing_app, "http://auth.test") as client,
    ):
        yield Billing(billing_app, client, fake)
