"""Stripe events as Stripe sends them: JSON bodies signed with the endpoint's secret
(``Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>``)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

API_VERSION = "2025-09-30.clover"


def sign(body: str, secret: str, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def event(event_id: str, kind: str, obj: dict[str, Any], created: int) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "api_version": API_VERSION,
        "created": created,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": kind,
        "data": {"object": obj},
    }


def body_of(evt: dict[str, Any]) -> str:
    """Stripe pretty-prints its bodies; the signature covers these exact bytes."""
    return json.dumps(evt, indent=2)


def meta(**values: object) -> dict[str, str]:
    return {f"fltr_{k}": str(v) for k, v in values.items() if v is not None}


def checkout_session(
    session_id: str,
    *,
    user_id: str,
    customer: str,
    payment_intent: str,
    amount: int,
    payment_status: str = "paid",
    kind: str = "credit_pack",
    credits: int | None = None,
    dataset_id: str | None = None,
    curator_id: str | None = None,
) -> dict[str, Any]:
    return {
        "id": session_id,
        "object": "checkout.session",
        "mode": "payment",
        "status": "complete",
        "payment_status": payment_status,
        "customer": customer,
        "client_reference_id": user_id,
        "payment_intent": payment_intent,
        "amount_total": amount,
        "currency": "usd",
        "metadata": meta(
            kind=kind,
            user_id=user_id,
            credits=credits,
            dataset_id=dataset_id,
            curator_id=curator_id,
        ),
    }


def subscription(
    sub_id: str,
    *,
    user_id: str,
    customer: str,
    status: str,
    price: str,
    period: tuple[int, int],
    kind: str = "plan",
    plan: str | None = None,
    dataset_id: str | None = None,
    curator_id: str | None = None,
    cancel_at_period_end: bool = False,
    interval: str = "month",
) -> dict[str, Any]:
    """The 2025-03-31+ shape: the period on the item."""
    return {
        "id": sub_id,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "cancel_at_period_end": cancel_at_period_end,
        "cancel_at": period[1] if cancel_at_period_end else None,
        "canceled_at": None,
        "ended_at": period[1] if status == "canceled" else None,
        "trial_start": None,
        "trial_end": None,
        "schedule": None,
        "items": {
            "object": "list",
            "data": [
                {
                    "id": f"si_{sub_id}",
                    "object": "subscription_item",
                    "quantity": 1,
                    "current_period_start": period[0],
                    "current_period_end": period[1],
                    "price": {
                        "id": price,
                        "object": "price",
                        "recurring": {"interval": interval},
                    },
                }
            ],
        },
        "metadata": meta(
            kind=kind,
            user_id=user_id,
            plan=plan,
            dataset_id=dataset_id,
            curator_id=curator_id,
        ),
    }


def invoice(
    invoice_id: str,
    *,
    sub_id: str,
    customer: str,
    payment_intent: str,
    amount: int,
    period: tuple[int, int],
    sub_meta: dict[str, str],
    price: str,
    paid: bool = True,
) -> dict[str, Any]:
    """The 2025-03-31+ shape: subscription under parent, payment intents under payments."""
    return {
        "id": invoice_id,
        "object": "invoice",
        "customer": customer,
        "status": "paid" if paid else "open",
        "amount_paid": amount if paid else 0,
        "amount_due": amount,
        "currency": "usd",
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": sub_id, "metadata": sub_meta},
        },
        "payments": {
            "object": "list",
            "data": [{"payment": {"type": "payment_intent", "payment_intent": payment_intent}}],
        },
        "lines": {
            "object": "list",
            "data": [
                {
                    "id": f"il_{invoice_id}",
                    "object": "line_item",
                    "amount": amount,
                    "period": {"start": period[0], "end": period[1]},
                    "pricing": {"price_details": {"price": price}},
                }
            ],
        },
    }


def charge_refunded(charge_id: str, payment_intent: str, amount: int, refunded: int) -> Any:
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_refunded": refunded,
        "refunded": refunded >= amount,
        "payment_intent": payment_intent,
        "currency": "usd",
    }


def dispute(dispute_id: str, charge_id: str, payment_intent: str, amount: int) -> Any:
    return {
        "id": dispute_id,
        "object": "dispute",
        "amount": amount,
        "charge": charge_id,
        "payment_intent": payment_intent,
        "reason": "fraudulent",
        "status": "needs_response",
        "currency": "usd",
    }
