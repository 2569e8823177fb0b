"""Stripe webhooks: verify, store the event id once, apply. Never commits.

Stripe retries for days, delivers twice and out of order, so every handler re-reads the
state from the event's object and merges it (see ``repository`` and ``purchases``): applying
any set of events in any order, each any number of times, ends in the same state. A handler
that fails rolls back with the event id, so Stripe's retry runs it again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import stripe
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.billing import purchases, repository
from fltr_auth.billing import stripe_objects as so
from fltr_auth.billing.errors import BadSignature, MalformedEvent
from fltr_auth.billing.policy import BillingPolicy
from fltr_auth.credits.ledger import Owner, new_id
from fltr_auth.credits.plans import set_allowance
from fltr_shared.db import utcnow

log = logging.getLogger(__name__)

TOLERANCE_SECONDS = 300

Handler = Callable[[AsyncSession, so.Obj, str, int, BillingPolicy], Awaitable[None]]


@dataclass(frozen=True)
class Outcome:
    event_id: str
    type: str
    duplicate: bool
    handled: bool


def verify(raw: bytes, signature: str | None, secret: str) -> dict[str, Any]:
    """The event, after ``stripe.Webhook.construct_event`` checked the signature on the raw
    body (tolerance 300 s); 400 for a bad signature or a body that is no Stripe event."""
    if not signature:
        raise BadSignature("The Stripe-Signature header is missing.")
    try:
        event = stripe.Webhook.construct_event(raw, signature, secret, TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as exc:
        raise BadSignature(f"Stripe signature check failed: {exc.user_message}") from None
    except (ValueError, UnicodeDecodeError):  # JSON that does not parse, or not UTF-8
        raise MalformedEvent("The webhook body is not valid JSON.") from None
    body: dict[str, Any] = event.to_dict()
    obj = (body.get("data") or {}).get("object")
    if not (
        isinstance(body.get("id"), str)
        and isinstance(body.get("type"), str)
        and isinstance(body.get("created"), int)
        and isinstance(obj, dict)
    ):
        raise MalformedEvent("A Stripe event needs id, type, created and data.object.")
    return body


async def apply(db: AsyncSession, event: dict[str, Any], policy: BillingPolicy) -> Outcome:
    event_id, kind, created = event["id"], event["type"], event["created"]
    if not await repository.record_event(db, event_id, kind, created):
        return Outcome(event_id, kind, duplicate=True, handled=False)
    handler = HANDLERS.get(kind)
    if handler is None:  # acknowledged, so Stripe stops sending it
        return Outcome(event_id, kind, duplicate=False, handled=False)
    try:
        await handler(db, event["data"]["object"], kind, created, policy)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        log.warning("stripe event %s (%s) unreadable: %r", event_id, kind, exc)
        raise MalformedEvent(f"The {kind} event's object lacks what FLTR needs.") from None
    return Outcome(event_id, kind, duplicate=False, handled=True)


async def _user(db: AsyncSession, meta: dict[str, str], obj: so.Obj) -> str | None:
    """The FLTR user an object is about: from FLTR's metadata, else by its customer. None
    (the event is acknowledged and ignored) for a user that no longer exists."""
    user_id = meta.get("user_id") or obj.get("client_reference_id")
    customer = so.ref(obj.get("customer"))
    if user_id:
        if await repository.get_user(db, str(user_id)) is None:
            return None
        if customer:
            await repository.set_customer(db, str(user_id), customer)
        return str(user_id)
    return await repository.user_for_customer(db, customer) if customer else None


# ---- Checkout


async def _checkout(
    db: AsyncSession, session: so.Obj, kind: str, created: int, policy: BillingPolicy
) -> None:
    meta = so.metadata(session)
    user_id = await _user(db, meta, session)
    if session.get("mode") != "payment":
        return  # subscriptions: their own events and invoices carry everything
    if user_id is None or meta.get("kind") not in ("credit_pack", "dataset_purchase"):
        log.warning("checkout session %s is not FLTR's; ignored", session.get("id"))
        return
    if kind == "checkout.session.async_payment_failed":
        status = "failed"
    elif kind == "checkout.session.async_payment_succeeded" or session.get("payment_status") in (
        "paid",
        "no_payment_required",
    ):
        status = "paid"
    else:
        status = "pending"  # paid later: async_payment_succeeded or _failed will say
    payment_intent = so.ref(session.get("payment_intent"))
    if payment_intent:
        await repository.lock_key(db, payment_intent)
    now = utcnow()
    await repository.upsert_purchase(
        db,
        {
            "id": new_id(),
            "source_id": session["id"],
            "kind": meta["kind"],
            "status": status,
            "user_id": user_id,
            "dataset_id": meta.get("dataset_id"),
            "curator_id": meta.get("curator_id"),
            "stripe_payment_intent_id": payment_intent,
            "amount_cents": int(session.get("amount_total") or 0),
            "currency": str(session.get("currency") or policy.currency),
            "credits": int(meta.get("credits", 0)) if meta["kind"] == "credit_pack" else 0,
            "created_at": now,
            "updated_at": now,
        },
    )
    await purchases.settle(db, session["id"], policy)


# ---- invoices


async def _invoice(
    db: AsyncSession, invoice: so.Obj, kind: str, created: int, policy: BillingPolicy
) -> None:
    subscription_id, meta = so.invoice_subscription(invoice)
    if subscription_id is None:
        return  # a one-off invoice: not something FLTR sells
    user_id = await _user(db, meta, invoice)
    if user_id is None:
        log.warning("invoice %s has no FLTR user; ignored", invoice.get("id"))
        return
    price = so.invoice_price(invoice)
    dataset = meta.get("kind") == "dataset_subscription"
    plan = None if dataset else meta.get("plan") or policy.catalog.plan_for_price(price)
    paid = kind == "invoice.paid"
    start, end = so.invoice_period(invoice)
    payment_intent = so.invoice_payment_intent(invoice)
    if payment_intent:
        await repository.lock_key(db, payment_intent)
    if not dataset:  # two periods' invoices at once: the newest must end up applied
        await repository.lock_key(db, f"plan:{user_id}")
    now = utcnow()
    await repository.upsert_purchase(
        db,
        {
            "id": new_id(),
            "source_id": invoice["id"],
            "kind": "dataset_invoice" if dataset else "plan_invoice",
            "status": "paid" if paid else "failed",
            "user_id": user_id,
            "dataset_id": meta.get("dataset_id"),
            "curator_id": meta.get("curator_id"),
            "plan": plan,
            "stripe_subscription_id": subscription_id,
            "stripe_payment_intent_id": payment_intent,
            "amount_cents": int(invoice.get("amount_paid") or 0)
            if paid
            else int(invoice.get("amount_due") or 0),
            "currency": str(invoice.get("currency") or policy.currency),
            "period_start": start,
            "period_end": end,
            "created_at": now,
            "updated_at": now,
        },
    )
    settled = await purchases.settle(db, invoice["id"], policy)
    if paid and not dataset and plan and settled and settled.purchase.status == "paid":
        newest = await repository.newest_plan_period_end(db, user_id, invoice["id"])
        # an older period's invoice arriving late must not replace the current allowance
        if newest is None or (end is not None and end > newest):
            await set_allowance(
                db,
                Owner("user", user_id),
                policy.catalog.plan(plan).monthly_credits,
                end,
                f"billing:allowance:{invoice['id']}",
            )


# ---- subscriptions


async def _subscription(
    db: AsyncSession, sub: so.Obj, kind: str, created: int, policy: BillingPolicy
) -> None:
    meta = so.metadata(sub)
    user_id = await _user(db, meta, sub)
    if user_id is None:
        log.warning("subscription %s has no FLTR user; ignored", sub.get("id"))
        return
    price, interval, quantity = so.subscription_price(sub)
    start, end = so.subscription_period(sub)
    dataset = meta.get("kind") == "dataset_subscription"
    status = str(sub.get("status") or "incomplete")
    if kind == "customer.subscription.deleted":
        status = "canceled"
    now = utcnow()
    await repository.upsert_subscription(
        db,
        {
            "id": new_id(),
            "plan": "dataset"
            if dataset
            else meta.get("plan") or policy.catalog.plan_for_price(price) or "unknown",
            "reference_id": user_id,
            "stripe_customer_id": so.ref(sub.get("customer")),
            "stripe_subscription_id": sub["id"],
            "status": status,
            "period_start": start,
            "period_end": end,
            "trial_start": so.when(sub.get("trial_start")),
            "trial_end": so.when(sub.get("trial_end")),
            "cancel_at_period_end": bool(sub.get("cancel_at_period_end")),
            "cancel_at": so.when(sub.get("cancel_at")),
            "canceled_at": so.when(sub.get("canceled_at")),
            "ended_at": so.when(sub.get("ended_at")),
            "seats": quantity,
            "billing_interval": interval,
            "stripe_schedule_id": so.ref(sub.get("schedule")),
            "kind": "dataset" if dataset else "plan",
            "dataset_id": meta.get("dataset_id"),
            "curator_id": meta.get("curator_id"),
            "price_id": price,
            "stripe_event_created": created,
            "created_at": now,
            "updated_at": now,
        },
    )


# ---- refunds and disputes


async def _refund(
    db: AsyncSession, charge: so.Obj, kind: str, created: int, policy: BillingPolicy
) -> None:
    payment_intent = so.ref(charge.get("payment_intent"))
    if payment_intent:
        await repository.lock_key(db, payment_intent)
    await repository.add_reversal(
        db,
        charge["id"],
        payment_intent,
        refunded=int(charge.get("amount_refunded") or 0),
        now=utcnow(),
    )
    await _settle_payment(db, payment_intent, policy)


async def _dispute(
    db: AsyncSession, dispute: so.Obj, kind: str, created: int, policy: BillingPolicy
) -> None:
    charge_id = so.ref(dispute.get("charge"))
    if charge_id is None:
        raise ValueError("a dispute without its charge")
    payment_intent = so.ref(dispute.get("payment_intent"))
    if payment_intent:
        await repository.lock_key(db, payment_intent)
    await repository.add_reversal(
        db, charge_id, payment_intent, disputed=int(dispute.get("amount") or 0), now=utcnow()
    )
    await _settle_payment(db, payment_intent, policy)


async def _settle_payment(
    db: AsyncSession, payment_intent: str | None, policy: BillingPolicy
) -> None:
    """Apply reversals to the payment they belong to (if it has arrived yet; if not, it
    applies them when it does)."""
    if payment_intent is None:
        return
    for source_id in await repository.purchase_sources_for_payment_intent(db, payment_intent):
        await purchases.settle(db, source_id, policy)


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": _checkout,
    "checkout.session.async_payment_succeeded": _checkout,
    "checkout.session.async_payment_failed": _checkout,
    "invoice.paid": _invoice,
    "invoice.payment_failed": _invoice,
    "customer.subscription.created": _subscription,
    "customer.subscription.updated": _subscription,
    "customer.subscription.deleted": _subscription,
    "charge.refunded": _refund,
    "charge.dispute.created": _dispute,
}
