"""Reading Stripe objects (plain dicts from the event) across API versions.

Since 2025-03-31 the billing period lives on subscription items, an invoice names its
subscription under ``parent.subscription_details`` and its payment intents under
``payments``; older versions put them on the subscription and invoice themselves. Both
shapes are read, so a webhook endpoint pinned to either version works.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

Obj = dict[str, Any]

METADATA_PREFIX = "fltr_"


def when(value: object) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if isinstance(value, int | float) else None


def ref(value: object) -> str | None:
    """An id whether the field is expanded (an object) or not (a string)."""
    if isinstance(value, dict):
        found = value.get("id")
        return found if isinstance(found, str) else None
    return value if isinstance(value, str) else None


def metadata(obj: Obj) -> dict[str, str]:
    """FLTR's metadata keys, without their prefix."""
    raw = obj.get("metadata") or {}
    return {
        key.removeprefix(METADATA_PREFIX): str(value)
        for key, value in raw.items()
        if key.startswith(METADATA_PREFIX) and value not in (None, "")
    }


def first_item(subscription: Obj) -> Obj:
    items = (subscription.get("items") or {}).get("data") or []
    return items[0] if items and isinstance(items[0], dict) else {}


def subscription_period(subscription: Obj) -> tuple[datetime | None, datetime | None]:
    item = first_item(subscription)
    start = subscription.get("current_period_start", item.get("current_period_start"))
    end = subscription.get("current_period_end", item.get("current_period_end"))
    return when(start), when(end)


def subscription_price(subscription: Obj) -> tuple[str | None, str | None, int | None]:
    """(price id, billing interval, quantity) of the first item."""
    item = first_item(subscription)
    price = item.get("price") or item.get("plan") or {}
    recurring = price.get("recurring") or {}
    interval = recurring.get("interval") or price.get("interval")
    quantity = item.get("quantity")
    return ref(price), interval, quantity if isinstance(quantity, int) else None


def invoice_subscription(invoice: Obj) -> tuple[str | None, dict[str, str]]:
    """(subscription id, FLTR metadata of the subscription) of an invoice."""
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    legacy = invoice.get("subscription_details") or {}
    subscription = ref(details.get("subscription")) or ref(invoice.get("subscription"))
    meta = metadata(details) or metadata(legacy)
    if not meta:
        for line in (invoice.get("lines") or {}).get("data") or []:
            meta = metadata(line)
            if meta:
                break
    return subscription, meta


def invoice_payment_intent(invoice: Obj) -> str | None:
    legacy = ref(invoice.get("payment_intent"))
    if legacy:
        return legacy
    for payment in (invoice.get("payments") or {}).get("data") or []:
        found = ref((payment.get("payment") or {}).get("payment_intent"))
        if found:
            return found
    return None


def invoice_price(invoice: Obj) -> str | None:
    """The price of the first line (``pricing.price_details`` since 2025-03-31)."""
    for line in (invoice.get("lines") or {}).get("data") or []:
        details = (line.get("pricing") or {}).get("price_details") or {}
        found = ref(details.get("price")) or ref(line.get("price"))
        if found:
            return found
    return None


def invoice_period(invoice: Obj) -> tuple[datetime | None, datetime | None]:
    """The service period of the first line (the invoice's own period is the one before)."""
    for line in (invoice.get("lines") or {}).get("data") or []:
        period = line.get("period") or {}
        if period.get("end"):
            return when(period.get("start")), when(period.get("end"))
    return when(invoice.get("period_start")), when(invoice.get("period_end"))
