"""Billing's dependencies: the on/off switch, the policy from settings, the Stripe client."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import stripe
from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute

from fltr_auth.billing.errors import BillingDisabled
from fltr_auth.billing.policy import BillingPolicy
from fltr_auth.billing.stripe_client import build_client
from fltr_auth.deps import SettingsDep


async def billing_enabled(settings: SettingsDep) -> None:
    """Router-level: 503 ``billing_disabled`` while STRIPE_SECRET_KEY is unset."""
    if settings.stripe_secret_key is None:
        raise BillingDisabled()


class BillingRoute(APIRoute):
    """Checks that billing is on before FastAPI reads the body: FastAPI parses JSON before
    any dependency runs, so a dependency alone would answer a malformed body with 422."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        internal = self.path.startswith("/internal/")

        async def guarded(request: Request) -> Response:
            guard = getattr(request.app.state, "service_token_guard", None)
            if internal and guard is not None:
                # who is asking comes first: without the service credential an internal
                # route says nothing, not even whether billing is on
                await guard(request)
            if request.app.state.settings.stripe_secret_key is None:
                raise BillingDisabled()
            return await handler(request)

        return guarded


async def _policy(settings: SettingsDep) -> BillingPolicy:
    return BillingPolicy.from_settings(settings)


async def _client(request: Request, settings: SettingsDep) -> stripe.StripeClient:
    """One client per app, made on first use (tests put one with a recording HTTP client
    on ``app.state.stripe_client``)."""
    client: stripe.StripeClient | None = getattr(request.app.state, "stripe_client", None)
    if client is None:
        client = build_client(settings)
        request.app.state.stripe_client = client
    return client


async def _webhook_secret(settings: SettingsDep) -> str:
    if settings.stripe_webhook_secret is None:
        raise BillingDisabled(
            "Stripe webhooks are not configured on this server: set STRIPE_WEBHOOK_SECRET."
        )
    return settings.stripe_webhook_secret.get_secret_value()


BillingPolicyDep = Annotated[BillingPolicy, Depends(_policy)]
StripeDep = Annotated[stripe.StripeClient, Depends(_client)]
WebhookSecretDep = Annotated[str, Depends(_webhook_secret)]
