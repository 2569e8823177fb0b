"""Checkout and the customer portal: Stripe-hosted pages, reached through URLs made here.

A Stripe customer is made for a user the first time one is needed (keyed by an idempotency
key per user, so two racing requests get the same customer) and kept on
``users.stripe_customer_id``. Everything a webhook needs later to know what was bought
travels in the session's (and subscription's) metadata, since webhooks arrive on their own.
No balance row is locked while Stripe is called.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import stripe
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.billing import repository
from fltr_auth.billing.errors import (
    FreeDataset,
    OwnDataset,
    StripeFailed,
    UnknownPrice,
    WrongPricingModel,
)
from fltr_auth.billing.policy import BillingPolicy
from fltr_auth.billing.schemas import CheckoutIn, DatasetCheckoutIn
from fltr_auth.billing.stripe_objects import METADATA_PREFIX
from fltr_auth.credits.errors import OwnerNotFound
from fltr_auth.teams import service as teams
from fltr_auth.users.models import User
from fltr_shared.db import utcnow
from fltr_shared.errors import Conflict


@dataclass(frozen=True)
class CheckoutLink:
    url: str
    session_id: str


def _meta(**values: object) -> dict[str, str]:
    return {f"{METADATA_PREFIX}{k}": str(v) for k, v in values.items() if v is not None}


def _key(purpose: str) -> str:
    return f"fltr-{purpose}-{secrets.token_hex(12)}"


async def _call(request: Any) -> Any:
    """Await a Stripe call; its refusals become FLTR errors (never a 500)."""
    try:
        return await request
    except stripe.InvalidRequestError as exc:
        if exc.param and "price" in exc.param:
            raise UnknownPrice(f"Stripe does not know this price: {exc.user_message}") from None
        raise StripeFailed(f"Stripe refused the request: {exc.user_message}") from None
    except stripe.StripeError as exc:
        raise StripeFailed(f"Stripe is unavailable: {exc.user_message}") from None


async def customer_for(db: AsyncSession, client: stripe.StripeClient, user: User) -> str:
    if user.stripe_customer_id:
        return user.stripe_customer_id
    customer = await _call(
        client.v1.customers.create_async(
            {"email": user.email, "name": user.name, "metadata": _meta(user_id=user.id)},
            {"idempotency_key": f"fltr-customer-{user.id}"},
        )
    )
    return await repository.set_customer(db, user.id, customer.id)


async def _session(
    client: stripe.StripeClient, params: dict[str, Any], policy: BillingPolicy
) -> CheckoutLink:
    params = {"success_url": policy.success_url, "cancel_url": policy.cancel_url, **params}
    session = await _call(
        client.v1.checkout.sessions.create_async(
            params,  # type: ignore[arg-type]
            {"idempotency_key": _key("checkout")},
        )
    )
    return CheckoutLink(url=session.url, session_id=session.id)


async def _user(db: AsyncSession, user_id: str) -> User:
    user = await repository.get_user(db, user_id)
    if user is None:
        raise OwnerNotFound("user", user_id)
    return user


async def checkout(
    db: AsyncSession,
    client: stripe.StripeClient,
    user: User,
    body: CheckoutIn,
    policy: BillingPolicy,
) -> CheckoutLink:
    """A Checkout page for a credit pack or a plan (priced by configuration)."""
    if body.kind == "credit_pack":
        pack = policy.catalog.packs.get(body.pack or "")
        if pack is None:
            known = ", ".join(sorted(policy.catalog.packs)) or "none configured"
            raise UnknownPrice(f"No credit pack {body.pack!r} (known: {known}).")
        meta = _meta(kind="credit_pack", user_id=user.id, pack=body.pack, credits=pack.credits)
        customer = await customer_for(db, client, user)
        return await _session(
            client,
            {
                "mode": "payment",
                "customer": customer,
                "client_reference_id": user.id,
                "line_items": [{"price": pack.price_id, "quantity": 1}],
                "metadata": meta,
                "payment_intent_data": {"metadata": meta},
            },
            policy,
        )
    plan = policy.catalog.plans.get(body.plan or "")
    price = plan.prices.get(body.interval) if plan else None
    if price is None:
        priced = sorted(name for name, p in policy.catalog.plans.items() if p.prices)
        raise UnknownPrice(
            f"No {body.interval}ly price for plan {body.plan!r} "
            f"(plans for sale: {', '.join(priced) or 'none configured'})."
        )
    meta = _meta(kind="plan", user_id=user.id, plan=body.plan)
    customer = await customer_for(db, client, user)
    return await _session(
        client,
        {
            "mode": "subscription",
            "customer": customer,
            "client_reference_id": user.id,
            "line_items": [{"price": price, "quantity": 1}],
            "metadata": meta,
            "subscription_data": {"metadata": meta},
        },
        policy,
    )


async def _owns(db: AsyncSession, body: DatasetCheckoutIn) -> bool:
    if body.owner_type == "user":
        return body.owner_id == body.user_id
    return await teams.member_role(db, body.owner_id, body.user_id) is not None


async def dataset_checkout(
    db: AsyncSession, client: stripe.StripeClient, body: DatasetCheckoutIn, policy: BillingPolicy
) -> CheckoutLink:
    """A Checkout page for a premium dataset, priced by the facts the content service sent."""
    user = await _user(db, body.user_id)
    if await _owns(db, body):
        raise OwnDataset()
    subscribe = body.kind == "dataset_subscription"
    if subscribe:
        amount = body.price_annual_cents if body.interval == "year" else body.price_monthly_cents
    else:
        amount = body.price_cents
    if body.pricing_model == "free" or not amount:
        raise FreeDataset(
            "This dataset is free (or has no price for this kind of checkout); it needs no payment."
        )
    wanted = "subscription" if subscribe else "one_time"
    if body.pricing_model != wanted:
        fitting = "dataset_subscription" if subscribe is False else "dataset_purchase"
        raise WrongPricingModel(f"This dataset is sold as {body.pricing_model}; use {fitting}.")
    principals = [user.id]
    now = utcnow()
    if await repository.has_active_dataset_subscription(
        db, principals, body.dataset_id, now
    ) or await repository.has_paid_purchase(db, principals, body.dataset_id):
        raise Conflict("You already have access to this dataset.", code="already_entitled")
    meta = _meta(
        kind=body.kind,
        user_id=user.id,
        dataset_id=body.dataset_id,
        curator_id=body.owner_id,
    )
    price: dict[str, Any] = {
        "currency": policy.currency,
        "unit_amount": amount,
        "product_data": {"name": body.name, "metadata": _meta(dataset_id=body.dataset_id)},
    }
    if subscribe:
        price["recurring"] = {"interval": body.interval}
    params: dict[str, Any] = {
        "mode": "subscription" if subscribe else "payment",
        "customer": await customer_for(db, client, user),
        "client_reference_id": user.id,
        "line_items": [{"price_data": price, "quantity": 1}],
        "metadata": meta,
    }
    if subscribe:
        params["subscription_data"] = {"metadata": meta}
    else:
        params["payment_intent_data"] = {"metadata": meta}
    return await _session(client, params, policy)


async def portal(
    db: AsyncSession, client: stripe.StripeClient, user: User, policy: BillingPolicy
) -> str:
    customer = await customer_for(db, client, user)
    session = await _call(
        client.v1.billing_portal.sessions.create_async(
            {"customer": customer, "return_url": policy.portal_return_url},
            {"idempotency_key": _key("portal")},
        )
    )
    return str(session.url)
