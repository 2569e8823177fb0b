"""The one way FLTR builds its Stripe client: the official library, async over httpx."""

from __future__ import annotations

import stripe
from stripe._base_address import BaseAddresses

from fltr_auth.settings import AuthSettings


def build_client(settings: AuthSettings) -> stripe.StripeClient:
    assert settings.stripe_secret_key is not None
    bases: BaseAddresses = {}
    if settings.stripe_api_base:
        bases["api"] = settings.stripe_api_base
    return stripe.StripeClient(
        settings.stripe_secret_key.get_secret_value(),
        http_client=stripe.HTTPXClient(),
        # retries are safe: every POST carries an idempotency key
        max_network_retries=2,
        base_addresses=bases,
    )
