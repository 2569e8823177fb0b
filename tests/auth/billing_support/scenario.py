"""A recorded month of Stripe traffic for several customers: 50 events covering credit packs
(paid at once, paid later, failed), plans (subscriptions and their invoices, a failed
payment retried), premium datasets (subscriptions, one-time purchases), partial and full
refunds, disputes, cancellations and events FLTR does not handle."""

from __future__ import annotations

from typing import Any

from tests.auth.billing_support import events as ev

DAY = 86400


def users(prefix: str) -> dict[str, str]:
    return {name: f"{prefix}-{name}" for name in ("ann", "bob", "cat", "dan", "eve", "cur")}


def recorded(prefix: str, now: int) -> list[dict[str, Any]]:
    """The events in the order Stripe created them (``created`` strictly increasing)."""
    u = users(prefix)
    start = now - 40 * DAY
    p1, p2 = (start, start + 30 * DAY), (start + 30 * DAY, start + 60 * DAY)
    out: list[dict[str, Any]] = []

    def add(kind: str, obj: dict[str, Any]) -> None:
        created = start + 60 * len(out)
        out.append(ev.event(f"evt_{prefix}_{len(out):02d}", kind, obj, created))

    def pack(
        sid: str, user: str, status: str = "paid", amount: int = 1000, credits: int = 1000
    ) -> dict[str, Any]:
        return ev.checkout_session(
            f"cs_{prefix}_{sid}",
            user_id=u[user],
            customer=f"cus_{prefix}_{user}",
            payment_intent=f"pi_{prefix}_{sid}",
            amount=amount,
            credits=credits,
            payment_status=status,
        )

    def ds_purchase(sid: str, user: str, amount: int) -> dict[str, Any]:
        return ev.checkout_session(
            f"cs_{prefix}_{sid}",
            user_id=u[user],
            customer=f"cus_{prefix}_{user}",
            payment_intent=f"pi_{prefix}_{sid}",
            amount=amount,
            kind="dataset_purchase",
            dataset_id=f"ds_{prefix}_{sid}",
            curator_id=u["cur"],
        )

    def plan_sub(user: str, status: str, period: tuple[int, int], **kw: Any) -> dict[str, Any]:
        return ev.subscription(
            f"sub_{prefix}_{user}",
            user_id=u[user],
            customer=f"cus_{prefix}_{user}",
            status=status,
            price="price_pro_month",
            period=period,
            plan="pro",
            **kw,
        )

    def ds_sub(user: str, status: str, period: tuple[int, int], **kw: Any) -> dict[str, Any]:
        return ev.subscription(
            f"sub_{prefix}_{user}_ds",
            user_id=u[user],
            customer=f"cus_{prefix}_{user}",
            status=status,
            price=f"price_{prefix}_inline",
            period=period,
            kind="dataset_subscription",
            dataset_id=f"ds_{prefix}_{user}",
            curator_id=u["cur"],
            **kw,
        )

    def invoice(
        iid: str,
        user: str,
        amount: int,
        period: tuple[int, int],
        *,
        dataset: bool,
        paid: bool = True,
    ) -> dict[str, Any]:
        sub = f"sub_{prefix}_{user}_ds" if dataset else f"sub_{prefix}_{user}"
        meta = (
            ev.meta(
                kind="dataset_subscription",
                user_id=u[user],
                dataset_id=f"ds_{prefix}_{user}",
                curator_id=u["cur"],
            )
            if dataset
            else ev.meta(kind="plan", user_id=u[user], plan="pro")
        )
        return ev.invoice(
            f"in_{prefix}_{iid}",
            sub_id=sub,
            customer=f"cus_{prefix}_{user}",
            payment_intent=f"pi_{prefix}_{iid}",
            amount=amount,
            period=period,
            sub_meta=meta,
            price="price_pro_month" if not dataset else f"price_{prefix}_inline",
            paid=paid,
        )

    def refund(sid: str, amount: int, refunded: int) -> dict[str, Any]:
        return ev.charge_refunded(f"ch_{prefix}_{sid}", f"pi_{prefix}_{sid}", amount, refunded)

    # ann: two packs (one paid later), a partial then full refund of the first, pro plan
    add("checkout.session.completed", pack("a1", "ann"))
    add("checkout.session.completed", pack("a2", "ann", "unpaid", 5000, 10000))
    add("checkout.session.async_payment_succeeded", pack("a2", "ann", "paid", 5000, 10000))
    add("customer.created", {"id": f"cus_{prefix}_ann", "object": "customer"})
    add("customer.subscription.created", plan_sub("ann", "incomplete", p1))
    add("invoice.paid", invoice("a_i1", "ann", 2900, p1, dataset=False))
    add("customer.subscription.updated", plan_sub("ann", "active", p1))
    add("charge.refunded", refund("a1", 1000, 400))
    add("charge.refunded", refund("a1", 1000, 1000))
    add("invoice.paid", invoice("a_i2", "ann", 2900, p2, dataset=False))
    add("customer.subscription.updated", plan_sub("ann", "active", p2))
    add("customer.subscription.updated", plan_sub("ann", "active", p2, cancel_at_period_end=True))
    # bob: a dataset subscription, two invoices, the second refunded, then canceled
    add("customer.subscription.created", ds_sub("bob", "active", p1))
    add("invoice.paid", invoice("b_i1", "bob", 900, p1, dataset=True))
    add("payment_intent.succeeded", {"id": f"pi_{prefix}_b_i1", "object": "payment_intent"})
    add("invoice.paid", invoice("b_i2", "bob", 900, p2, dataset=True))
    add("customer.subscription.updated", ds_sub("bob", "active", p2))
    add("charge.refunded", refund("b_i2", 900, 900))
    add("customer.subscription.updated", ds_sub("bob", "past_due", p2))
    add("customer.subscription.deleted", ds_sub("bob", "canceled", p2))
    # cat: one-time dataset purchases, one disputed; a pack whose payment failed
    add("checkout.session.completed", ds_purchase("c1", "cat", 2500))
    add("checkout.session.completed", ds_purchase("c2", "cat", 4000))
    add(
        "charge.dispute.created",
        ev.dispute(f"dp_{prefix}_c2", f"ch_{prefix}_c2", f"pi_{prefix}_c2", 4000),
    )
    add("checkout.session.completed", pack("c3", "cat", "unpaid"))
    add("checkout.session.async_payment_failed", pack("c3", "cat", "unpaid"))
    add("charge.refunded", refund("c1", 2500, 1000))
    # dan: pro plan whose first payment fails and is retried; a pack disputed after use
    add("customer.subscription.created", plan_sub("dan", "incomplete", p1))
    add("invoice.payment_failed", invoice("d_i1", "dan", 2900, p1, dataset=False, paid=False))
    add("customer.subscription.updated", plan_sub("dan", "past_due", p1))
    add("invoice.paid", invoice("d_i1", "dan", 2900, p1, dataset=False))
    add("customer.subscription.updated", plan_sub("dan", "active", p1))
    add("checkout.session.completed", pack("d2", "dan", amount=3000, credits=3000))
    add(
        "charge.dispute.created",
        ev.dispute(f"dp_{prefix}_d2", f"ch_{prefix}_d2", f"pi_{prefix}_d2", 1500),
    )
    add("invoice.paid", invoice("d_i2", "dan", 2900, p2, dataset=False))
    add("customer.subscription.updated", plan_sub("dan", "active", p2))
    add("customer.subscription.deleted", plan_sub("dan", "canceled", p2))
    # eve: a trial that converts, three invoices (one partly refunded), a large pack
    add("customer.subscription.created", ds_sub("eve", "trialing", p1))
    add("invoice.paid", invoice("e_i0", "eve", 0, p1, dataset=True))
    add("customer.subscription.updated", ds_sub("eve", "active", p1))
    add("invoice.paid", invoice("e_i1", "eve", 1200, p1, dataset=True))
    add("invoice.paid", invoice("e_i2", "eve", 1200, p2, dataset=True))
    add("customer.subscription.updated", ds_sub("eve", "active", p2))
    add("charge.refunded", refund("e_i1", 1200, 300))
    add("checkout.session.completed", pack("e3", "eve", amount=9000, credits=10000))
    add("charge.refunded", refund("e3", 9000, 4500))
    add("invoice.finalized", {"id": f"in_{prefix}_e_i3", "object": "invoice"})
    add("customer.subscription.updated", ds_sub("eve", "active", p2, cancel_at_period_end=True))
    add("checkout.session.completed", pack("e4", "eve", credits=1000))
    add("charge.refunded", refund("e4", 1000, 1000))
    add("customer.updated", {"id": f"cus_{prefix}_eve", "object": "customer"})
    assert len(out) == 50, len(out)
    return out
