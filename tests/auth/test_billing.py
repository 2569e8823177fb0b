"""Billing over HTTP: checkout and the portal through the real ``stripe`` library (its HTTP
client replaced), webhooks signed as Stripe signs them, refunds and disputes, entitlements,
plan limits, curators' earnings and payouts."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from fltr_auth.billing.models import CuratorEarning, Purchase, StripeEvent, Subscription
from fltr_auth.credits import service as credits
from fltr_auth.credits.clawback import clawback
from fltr_auth.credits.ledger import Owner
from fltr_auth.users.models import User
from tests.auth.billing_support import events as ev
from tests.auth.billing_support.app import (  # noqa: F401 (fixtures)
    WEBHOOK,
    WEBHOOK_SECRET,
    Billing,
    billing_app_fixture,
    billing_fixture,
)
from tests.auth.billing_support.fake_stripe import stripe_error
from tests.auth.credit_helpers import INTERNAL, ledger_problems, make_user, new_key
from tests.auth.helpers import sign_up
from tests.auth.test_teams import create_org, invite, post

pytestmark = pytest.mark.core

NOW = int(time.time())
DAY = 86400


async def user_session(billing: Billing) -> tuple[str, dict[str, str]]:
    signed = await sign_up(billing.client)
    return signed.user["id"], signed.bearer


async def balance(billing: Billing, user_id: str) -> dict[str, Any]:
    response = await billing.client.get(
        "/internal/v1/credits/balance", params={"user_id": user_id}, headers=INTERNAL
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def entitled(
    billing: Billing, user_id: str, dataset_id: str, pricing: str = "subscription"
) -> dict[str, Any]:
    response = await billing.client.post(
        "/internal/v1/entitlements/check",
        json={
            "user_id": user_id,
            "dataset_id": dataset_id,
            "owner_id": "curator-elsewhere",
            "visibility": "premium",
            "pricing_model": pricing,
        },
        headers=INTERNAL,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def rows(billing: Billing, model: Any) -> list[Any]:
    async with billing.app.state.db.transaction() as db:
        return list((await db.execute(select(model))).scalars())


async def event_count(app: FastAPI) -> int:
    async with app.state.db.transaction() as db:
        return int((await db.execute(select(func.count()).select_from(StripeEvent))).scalar_one())


# ---- billing off


async def test_without_stripe_key_every_billing_endpoint_is_503_before_the_body(
    auth_client: httpx.AsyncClient,
) -> None:
    for method, path, content in [
        ("POST", "/api/v1/billing/checkout", b"{not json"),
        ("POST", "/api/v1/billing/checkout", b'{"kind": "nonsense"}'),
        ("POST", "/api/v1/billing/portal", b""),
        ("POST", WEBHOOK, b"{}"),
        ("GET", "/api/v1/billing/usage", None),
        ("GET", "/api/v1/billing/earnings", None),
    ]:
        response = await auth_client.request(
            method, path, content=content, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 503, (path, response.text)
        assert response.json()["error"] == "billing_disabled"
        assert "STRIPE_SECRET_KEY" in response.json()["detail"]
    checkout = await auth_client.post(
        "/internal/v1/billing/dataset-checkout", content=b"{", headers=INTERNAL
    )
    assert checkout.status_code == 503
    # everything else works: limits answer (not enforced), entitlements answer
    limits = await auth_client.get(
        "/internal/v1/billing/limits", params={"user_id": "u-1"}, headers=INTERNAL
    )
    assert limits.status_code == 200, limits.text
    assert limits.json()["plan"] == "free"
    assert limits.json()["enforced"] is False


# ---- checkout and portal


async def test_credit_pack_checkout_creates_the_customer_once_and_returns_the_url(
    billing: Billing,
) -> None:
    user_id, auth = await user_session(billing)
    response = await billing.client.post(
        "/api/v1/billing/checkout", json={"kind": "credit_pack", "pack": "small"}, headers=auth
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["url"].startswith("https://checkout.stripe.com/")
    assert body["session_id"]
    [customer] = billing.stripe.calls("/v1/customers")
    assert customer.idempotency_key == f"fltr-customer-{user_id}"
    assert customer.form["metadata[fltr_user_id]"] == user_id
    [session] = billing.stripe.calls("/v1/checkout/sessions")
    form = session.form
    assert form["mode"] == "payment"
    assert form["line_items[0][price]"] == "price_pack_small"
    assert form["line_items[0][quantity]"] == "1"
    assert form["metadata[fltr_kind]"] == "credit_pack"
    assert form["metadata[fltr_credits]"] == "1000"
    assert form["client_reference_id"] == user_id
    assert session.idempotency_key
    assert session.idempotency_key.startswith("fltr-checkout-")
    headers = {k.lower(): v for k, v in session.headers.items()}
    assert headers["authorization"] == "Bearer sk_test_fltr_billing"
    assert headers["stripe-version"]
    async with billing.app.state.db.transaction() as db:
        user = await db.get(User, user_id)
        assert user is not None
        assert user.stripe_customer_id
        assert form["customer"] == user.stripe_customer_id
    again = await billing.client.post(
        "/api/v1/billing/checkout",
        json={"kind": "plan", "plan": "pro", "interval": "year"},
        headers=auth,
    )
    assert again.status_code == 200, again.text
    assert len(billing.stripe.calls("/v1/customers")) == 1  # kept on the user
    plan = billing.stripe.calls("/v1/checkout/sessions")[1].form
    assert plan["mode"] == "subscription"
    assert plan["line_items[0][price]"] == "price_pro_year"
    assert plan["subscription_data[metadata][fltr_plan]"] == "pro"
    portal = await billing.client.post("/api/v1/billing/portal", headers=auth)
    assert portal.status_code == 200
    assert portal.json()["url"].startswith("https://billing.")
    [portal_call] = billing.stripe.calls("/v1/billing_portal/sessions")
    assert portal_call.form["customer"] == form["customer"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"kind": "credit_pack", "pack": "gigantic"}, "unknown_price"),
        ({"kind": "plan", "plan": "platinum"}, "unknown_price"),
        ({"kind": "plan", "plan": "free"}, "unknown_price"),
        ({"kind": "credit_pack"}, "validation_error"),
        ({"kind": "dataset_subscription", "dataset_id": "d1"}, "validation_error"),
        ({"kind": "gift"}, "validation_error"),
    ],
)
async def test_checkout_refusals_are_422_and_call_no_stripe(
    billing: Billing, body: dict[str, Any], code: str
) -> None:
    _, auth = await user_session(billing)
    response = await billing.client.post("/api/v1/billing/checkout", json=body, headers=auth)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == code
    assert billing.stripe.calls("/v1/checkout/sessions") == []


async def test_a_price_stripe_does_not_know_is_422_unknown_price(billing: Billing) -> None:
    _, auth = await user_session(billing)
    billing.stripe.answer(
        "post",
        r"/v1/checkout/sessions",
        stripe_error("No such price: 'price_pack_small'", "line_items[0][price]"),
    )
    response = await billing.client.post(
        "/api/v1/billing/checkout", json={"kind": "credit_pack", "pack": "small"}, headers=auth
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "unknown_price"
    assert "No such price" in response.json()["detail"]


async def test_checkout_needs_a_session(billing: Billing) -> None:
    response = await billing.client.post(
        "/api/v1/billing/checkout", json={"kind": "credit_pack", "pack": "small"}
    )
    assert response.status_code == 401


def dataset_body(user_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "dataset_id": "ds-premium",
        "owner_id": "curator-1",
        "owner_type": "user",
        "pricing_model": "subscription",
        "price_monthly_cents": 900,
        "price_annual_cents": 9000,
        "name": "Premium law",
        **extra,
    }


async def test_dataset_checkout_prices_come_from_the_dataset(billing: Billing) -> None:
    user_id = await make_user(billing.app.state.db)
    url = "/internal/v1/billing/dataset-checkout"
    monthly = await billing.client.post(url, json=dataset_body(user_id), headers=INTERNAL)
    assert monthly.status_code == 200, monthly.text
    form = billing.stripe.calls("/v1/checkout/sessions")[0].form
    assert form["mode"] == "subscription"
    assert form["line_items[0][price_data][unit_amount]"] == "900"
    assert form["line_items[0][price_data][recurring][interval]"] == "month"
    assert form["line_items[0][price_data][product_data][name]"] == "Premium law"
    assert form["subscription_data[metadata][fltr_dataset_id]"] == "ds-premium"
    assert form["subscription_data[metadata][fltr_curator_id]"] == "curator-1"
    annual = await billing.client.post(
        url, json=dataset_body(user_id, interval="year"), headers=INTERNAL
    )
    assert annual.status_code == 200
    form = billing.stripe.calls("/v1/checkout/sessions")[1].form
    assert form["line_items[0][price_data][unit_amount]"] == "9000"
    once = await billing.client.post(
        url,
        json=dataset_body(user_id, pricing_model="one_time", price_cents=2500),
        headers=INTERNAL,
    )
    assert once.status_code == 200, once.text
    form = billing.stripe.calls("/v1/checkout/sessions")[2].form
    assert form["mode"] == "payment"
    assert form["line_items[0][price_data][unit_amount]"] == "2500"
    assert "line_items[0][price_data][recurring][interval]" not in form
    assert form["payment_intent_data[metadata][fltr_kind]"] == "dataset_purchase"


async def test_dataset_checkout_refuses_own_free_and_mismatched(billing: Billing) -> None:
    user_id = await make_user(billing.app.state.db)
    url = "/internal/v1/billing/dataset-checkout"
    cases = [
        (dataset_body(user_id, owner_id=user_id), 409, "own_dataset"),
        (dataset_body(user_id, pricing_model="free"), 409, "free_dataset"),
        (dataset_body(user_id, price_monthly_cents=0), 409, "free_dataset"),
        (
            dataset_body(user_id, kind="dataset_purchase", price_cents=100),
            409,
            "wrong_pricing_model",
        ),
        (dataset_body("no-such-user"), 404, "user_not_found"),
        (dataset_body(user_id, price_monthly_cents=-1), 422, "validation_error"),
    ]
    for body, status, code in cases:
        response = await billing.client.post(url, json=body, headers=INTERNAL)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"] == code
    assert billing.stripe.calls("/v1/checkout/sessions") == []
    unauthenticated = await billing.client.post(url, json=dataset_body(user_id))
    assert unauthenticated.status_code == 401


# ---- webhooks: signatures and bad bodies


async def test_bad_signatures_and_bodies_are_400_and_change_nothing(billing: Billing) -> None:
    user_id = await make_user(billing.app.state.db)
    session = ev.checkout_session(
        "cs_bad",
        user_id=user_id,
        customer="cus_bad",
        payment_intent="pi_bad",
        amount=1000,
        credits=1000,
    )
    body = ev.body_of(ev.event("evt_bad", "checkout.session.completed", session, NOW))
    before = await event_count(billing.app)
    cases: list[tuple[dict[str, str], str | bytes, str]] = [
        ({}, body, "invalid_signature"),  # missing
        ({"Stripe-Signature": "t=1,v1=deadbeef"}, body, "invalid_signature"),
        ({"Stripe-Signature": ev.sign(body, "whsec_someone_else")}, body, "invalid_signature"),
        ({"Stripe-Signature": ev.sign(body, WEBHOOK_SECRET, NOW - 301)}, body, "invalid_signature"),
        ({"Stripe-Signature": "garbage"}, body, "invalid_signature"),
        # signed, but re-serialized: the signature covers the exact bytes
        (
            {"Stripe-Signature": ev.sign(body, WEBHOOK_SECRET)},
            body.replace("\n", ""),
            "invalid_signature",
        ),
        (
            {"Stripe-Signature": ev.sign("{not json", WEBHOOK_SECRET)},
            "{not json",
            "malformed_event",
        ),
        (
            {"Stripe-Signature": ev.sign('{"id": 1}', WEBHOOK_SECRET)},
            '{"id": 1}',
            "malformed_event",
        ),
    ]
    for headers, content, code in cases:
        response = await billing.client.post(WEBHOOK, content=content, headers=headers)
        assert response.status_code == 400, (headers, response.text)
        assert response.json()["error"] == code
    assert await event_count(billing.app) == before
    assert (await balance(billing, user_id))["credits"] == 0
    # the same body, signed now and untouched, goes through
    await billing.deliver(ev.event("evt_bad", "checkout.session.completed", session, NOW))
    assert (await balance(billing, user_id))["credits"] == 1000


async def test_unknown_events_are_acknowledged_and_duplicates_skipped(billing: Billing) -> None:
    unknown = await billing.deliver(
        ev.event("evt_unknown", "customer.created", {"id": "cus_1"}, NOW)
    )
    assert unknown.json() == {
        "received": True,
        "event_id": "evt_unknown",
        "type": "customer.created",
        "duplicate": False,
        "handled": False,
    }
    again = await billing.deliver(ev.event("evt_unknown", "customer.created", {"id": "cus_1"}, NOW))
    assert again.json()["duplicate"] is True


# ---- credit packs


async def test_credit_pack_grants_only_when_paid(billing: Billing) -> None:
    user_id = await make_user(billing.app.state.db)

    def session(sid: str, status: str) -> dict[str, Any]:
        return ev.checkout_session(
            sid,
            user_id=user_id,
            customer="cus_p",
            payment_intent=f"pi_{sid}",
            amount=1000,
            credits=1000,
            payment_status=status,
        )

    await billing.deliver(
        ev.event("evt_1", "checkout.session.completed", session("cs_1", "unpaid"), NOW)
    )
    assert (await balance(billing, user_id))["credits"] == 0
    await billing.deliver(
        ev.event("evt_2", "checkout.session.async_payment_succeeded", session("cs_1", "paid"), NOW)
    )
    assert (await balance(billing, user_id))["credits"] == 1000
    # redelivered under a new event id (Stripe does not, but nothing may double anyway)
    await billing.deliver(
        ev.event("evt_3", "checkout.session.completed", session("cs_1", "paid"), NOW)
    )
    assert (await balance(billing, user_id))["credits"] == 1000
    await billing.deliver(
        ev.event("evt_4", "checkout.session.completed", session("cs_2", "unpaid"), NOW)
    )
    await billing.deliver(
        ev.event("evt_5", "checkout.session.async_payment_failed", session("cs_2", "unpaid"), NOW)
    )
    assert (await balance(billing, user_id))["credits"] == 1000
    [failed] = [p for p in await rows(billing, Purchase) if p.source_id == "cs_2"]
    assert failed.status == "failed"
    async with billing.app.state.db.transaction() as db:
        user = await db.get(User, user_id)
        assert user is not None
        assert user.stripe_customer_id == "cus_p"


@pytest.mark.parametrize("reversal", ["refund", "dispute"])
async def test_reversal_after_spending_leaves_zero_and_records_the_shortfall(
    billing: Billing, reversal: str
) -> None:
    user_id = await make_user(billing.app.state.db)
    session = ev.checkout_session(
        "cs_s", user_id=user_id, customer="cus_s", payment_intent="pi_s", amount=1000, credits=1000
    )
    await billing.deliver(ev.event("evt_s1", "checkout.session.completed", session, NOW))
    spent = await billing.client.post(
        "/internal/v1/credits/deduct",
        json={
            "user_id": user_id,
            "amount": 800,
            "idempotency_key": new_key(),
            "operation": "search",
        },
        headers=INTERNAL,
    )
    assert spent.status_code == 200, spent.text
    if reversal == "refund":
        obj, kind = ev.charge_refunded("ch_s", "pi_s", 1000, 1000), "charge.refunded"
    else:
        obj, kind = ev.dispute("dp_s", "ch_s", "pi_s", 1000), "charge.dispute.created"
    await billing.deliver(ev.event("evt_s2", kind, obj, NOW))
    await billing.deliver(ev.event("evt_s2", kind, obj, NOW))  # redelivered
    after = await balance(billing, user_id)
    assert after["credits"] == 0
    assert after["pools"]["purchased"] == 0
    [purchase] = [p for p in await rows(billing, Purchase) if p.source_id == "cs_s"]
    assert purchase.reversed_cents == 1000
    assert purchase.credits_clawed_back == 200
    assert purchase.credits_shortfall == 800
    assert await ledger_problems(billing.app) == []


async def test_refund_before_the_payment_arrives_applies_when_it_does(billing: Billing) -> None:
    user_id = await make_user(billing.app.state.db)
    await billing.deliver(
        ev.event("evt_r1", "charge.refunded", ev.charge_refunded("ch_r", "pi_r", 1000, 500), NOW)
    )
    session = ev.checkout_session(
        "cs_r", user_id=user_id, customer="cus_r", payment_intent="pi_r", amount=1000, credits=1000
    )
    await billing.deliver(ev.event("evt_r2", "checkout.session.completed", session, NOW))
    assert (await balance(billing, user_id))["credits"] == 500


# ---- premium datasets, entitlements and earnings


async def test_dataset_purchase_entitles_earns_and_a_refund_reverses_both(billing: Billing) -> None:
    buyer = await make_user(billing.app.state.db)
    curator = await make_user(billing.app.state.db)
    assert (await entitled(billing, buyer, "ds-1", "one_time"))["allowed"] is False
    session = ev.checkout_session(
        "cs_d",
        user_id=buyer,
        customer="cus_d",
        payment_intent="pi_d",
        amount=2000,
        kind="dataset_purchase",
        dataset_id="ds-1",
        curator_id=curator,
    )
    await billing.deliver(ev.event("evt_d1", "checkout.session.completed", session, NOW))
    assert await entitled(billing, buyer, "ds-1", "one_time") == {
        "allowed": True,
        "reason": "purchased",
    }
    [earning] = [e for e in await rows(billing, CuratorEarning) if e.curator_id == curator]
    assert earning.amount_cents == 1400  # 70 % of 2000
    assert earning.currency == "usd"
    assert earning.revenue_share_percentage == 70.0
    assert earning.payout_status == "pending"
    curator_session = await billing.client.get("/api/v1/billing/earnings")
    assert curator_session.status_code == 401
    await billing.deliver(
        ev.event("evt_d2", "charge.refunded", ev.charge_refunded("ch_d", "pi_d", 2000, 2000), NOW)
    )
    [earning] = [e for e in await rows(billing, CuratorEarning) if e.curator_id == curator]
    assert earning.reversed_cents == 1400
    assert earning.payout_status == "reversed"
    assert (await entitled(billing, buyer, "ds-1", "one_time"))["allowed"] is False


async def test_dataset_subscription_entitles_while_active(billing: Billing) -> None:
    buyer = await make_user(billing.app.state.db)
    period = (NOW - DAY, NOW + 30 * DAY)
    meta = ev.meta(
        kind="dataset_subscription", user_id=buyer, dataset_id="ds-s", curator_id="cur-s"
    )

    def sub(status: str) -> dict[str, Any]:
        return ev.subscription(
            "sub_s",
            user_id=buyer,
            customer="cus_ds",
            status=status,
            price="price_inline",
            period=period,
            kind="dataset_subscription",
            dataset_id="ds-s",
            curator_id="cur-s",
        )

    await billing.deliver(
        ev.event("evt_ds1", "customer.subscription.created", sub("active"), NOW - 50)
    )
    assert await entitled(billing, buyer, "ds-s") == {"allowed": True, "reason": "subscribed"}
    invoice = ev.invoice(
        "in_ds1",
        sub_id="sub_s",
        customer="cus_ds",
        payment_intent="pi_ds1",
        amount=900,
        period=period,
        sub_meta=meta,
        price="price_inline",
    )
    await billing.deliver(ev.event("evt_ds2", "invoice.paid", invoice, NOW - 40))
    [earning] = [e for e in await rows(billing, CuratorEarning) if e.curator_id == "cur-s"]
    assert earning.amount_cents == 630
    assert earning.subscription_id == "sub_s"
    await billing.deliver(
        ev.event("evt_ds3", "customer.subscription.deleted", sub("canceled"), NOW - 10)
    )
    # an older update delivered late does not bring it back
    await billing.deliver(
        ev.event("evt_ds4", "customer.subscription.updated", sub("active"), NOW - 30)
    )
    assert (await entitled(billing, buyer, "ds-s"))["allowed"] is False
    [row] = [s for s in await rows(billing, Subscription) if s.stripe_subscription_id == "sub_s"]
    assert row.status == "canceled"
    assert row.kind == "dataset"
    assert row.dataset_id == "ds-s"
    assert row.billing_interval == "month"


# ---- plans: allowance, limits, usage


async def test_plan_invoices_set_the_allowance_newest_period_wins(billing: Billing) -> None:
    user_id, auth = await user_session(billing)
    meta = ev.meta(kind="plan", user_id=user_id, plan="pro")
    first, second = (NOW - 40 * DAY, NOW - 10 * DAY), (NOW - 10 * DAY, NOW + 20 * DAY)

    def invoice(invoice_id: str, period: tuple[int, int]) -> dict[str, Any]:
        return ev.invoice(
            invoice_id,
            sub_id="sub_p",
            customer="cus_pl",
            payment_intent=f"pi_{invoice_id}",
            amount=2900,
            period=period,
            sub_meta=meta,
            price="price_pro_month",
        )

    await billing.deliver(ev.event("evt_p2", "invoice.paid", invoice("in_p2", second), NOW))
    await billing.deliver(ev.event("evt_p1", "invoice.paid", invoice("in_p1", first), NOW))  # late
    after = await balance(billing, user_id)
    assert after["pools"]["allowance"] == 5000
    assert after["allowance_resets_at"].startswith(
        time.strftime("%Y-%m-%d", time.gmtime(second[1]))
    )
    assert [p.plan for p in await rows(billing, Purchase) if p.user_id == user_id] == ["pro", "pro"]
    # no subscription yet: still free
    limits = await billing.client.get(
        "/internal/v1/billing/limits", params={"user_id": user_id}, headers=INTERNAL
    )
    assert limits.json()["plan"] == "free"
    assert limits.json()["enforced"] is True
    sub = ev.subscription(
        "sub_p",
        user_id=user_id,
        customer="cus_pl",
        status="active",
        price="price_pro_month",
        period=second,
        plan="pro",
    )
    await billing.deliver(ev.event("evt_p3", "customer.subscription.created", sub, NOW))
    limits = await billing.client.get(
        "/internal/v1/billing/limits",
        params={"owner_type": "user", "owner_id": user_id},
        headers=INTERNAL,
    )
    assert limits.json()["plan"] == "pro"
    assert limits.json()["limits"]["api_keys"] == 10
    assert limits.json()["limits"]["documents"] == 50_000
    subscriptions = await billing.client.get("/api/v1/billing/subscriptions", headers=auth)
    assert [s["plan"] for s in subscriptions.json()] == ["pro"]


async def test_api_keys_limit_of_the_plan_is_403_plan_limit_reached(billing: Billing) -> None:
    _, auth = await user_session(billing)
    for i in range(2):  # the free plan here allows 2
        created = await billing.client.post(
            "/api/v1/api-keys", json={"name": f"k{i}"}, headers=auth
        )
        assert created.status_code in (200, 201), created.text
    refused = await billing.client.post("/api/v1/api-keys", json={"name": "k3"}, headers=auth)
    assert refused.status_code == 403, refused.text
    body = refused.json()
    assert body["error"] == "plan_limit_reached"
    assert body["limit"] == "api_keys"
    assert body["allowed"] == 2
    assert "api keys" in body["detail"]
    usage = await billing.client.get("/api/v1/billing/usage", headers=auth)
    assert usage.status_code == 200, usage.text
    assert usage.json()["plan"] == "free"
    assert usage.json()["usage"]["api_keys"] == {"used": 2, "limit": 2}
    assert usage.json()["usage"]["datasets_per_month"] == {"used": None, "limit": 5}


# ---- curators: earnings and payouts


async def curator_with_earning(billing: Billing, amount: int = 1000) -> tuple[str, dict[str, str]]:
    curator, auth = await user_session(billing)
    buyer = await make_user(billing.app.state.db)
    session = ev.checkout_session(
        f"cs_{curator}",
        user_id=buyer,
        customer=f"cus_{buyer}",
        payment_intent=f"pi_{curator}",
        amount=amount,
        kind="dataset_purchase",
        dataset_id="ds-pay",
        curator_id=curator,
    )
    await billing.deliver(ev.event(f"evt_{curator}", "checkout.session.completed", session, NOW))
    return curator, auth


async def test_payouts_transfer_each_earning_once_and_record_the_transfer(billing: Billing) -> None:
    curator, auth = await curator_with_earning(billing)
    run = "/internal/v1/billing/payouts/run"
    skipped = await billing.client.post(run, headers=INTERNAL)
    assert skipped.json()["skipped"] >= 1  # no Connect account yet
    assert billing.stripe.calls("/v1/transfers") == []
    account = await billing.client.put(
        f"/internal/v1/billing/payout-accounts/{curator}",
        json={"stripe_account_id": "acct_123curator"},
        headers=INTERNAL,
    )
    assert account.status_code == 204, account.text
    paid = await billing.client.post(run, headers=INTERNAL)
    assert paid.status_code == 200, paid.text
    [transfer] = [
        c
        for c in billing.stripe.calls("/v1/transfers")
        if c.form["destination"] == "acct_123curator"
    ]
    assert transfer.form["amount"] == "700"
    assert transfer.form["currency"] == "usd"
    earnings = await billing.client.get("/api/v1/billing/earnings", headers=auth)
    assert earnings.status_code == 200, earnings.text
    [item] = earnings.json()["items"]
    assert transfer.idempotency_key == f"fltr-earning-{item['id']}"
    assert item["payout_status"] == "paid"
    assert item["stripe_transfer_id"] in paid.json()["transfers"]
    assert earnings.json()["totals_cents"] == {"paid": 700}
    again = await billing.client.post(run, headers=INTERNAL)
    assert curator not in str(again.json())
    assert (
        len(
            [
                c
                for c in billing.stripe.calls("/v1/transfers")
                if c.form.get("destination") == "acct_123curator"
            ]
        )
        == 1
    )
    # a refund after the payout takes the curator's share back from the transfer
    await billing.deliver(
        ev.event(
            f"evt_ref_{curator}",
            "charge.refunded",
            ev.charge_refunded(f"ch_{curator}", f"pi_{curator}", 1000, 1000),
            NOW,
        )
    )
    await billing.client.post(run, headers=INTERNAL)
    [reversal] = billing.stripe.calls(rf"/v1/transfers/{item['stripe_transfer_id']}/reversals")
    assert reversal.form["amount"] == "700"
    await billing.client.post(run, headers=INTERNAL)
    assert len(billing.stripe.calls(r"/v1/transfers/[^/]+/reversals")) == 1


async def test_a_failed_transfer_is_marked_failed_and_retried_with_the_same_key(
    billing: Billing,
) -> None:
    curator, auth = await curator_with_earning(billing)
    await billing.client.put(
        f"/internal/v1/billing/payout-accounts/{curator}",
        json={"stripe_account_id": "acct_failing"},
        headers=INTERNAL,
    )
    billing.stripe.answer(
        "post",
        r"/v1/transfers",
        lambda r: (
            (400, {"error": {"type": "invalid_request_error", "message": "Insufficient funds"}})
            if r.form["destination"] == "acct_failing"
            and len(billing.stripe.calls("/v1/transfers")) == 1
            else (200, {"id": "tr_retry", "object": "transfer"})
        ),
    )
    first = await billing.client.post("/internal/v1/billing/payouts/run", headers=INTERNAL)
    assert first.json()["failed"] >= 1
    [item] = (await billing.client.get("/api/v1/billing/earnings", headers=auth)).json()["items"]
    assert item["payout_status"] == "failed"
    billing.stripe.seen_keys.clear()  # Stripe does not store a key whose request failed validation
    await billing.client.post("/internal/v1/billing/payouts/run", headers=INTERNAL)
    [item] = (await billing.client.get("/api/v1/billing/earnings", headers=auth)).json()["items"]
    assert item["payout_status"] == "paid"
    assert item["stripe_transfer_id"] == "tr_retry"
    keys = {c.idempotency_key for c in billing.stripe.calls("/v1/transfers")}
    assert keys == {f"fltr-earning-{item['id']}"}


async def test_team_seats_of_the_owners_plan_limit_accepting_invitations(billing: Billing) -> None:
    owner = await sign_up(billing.client)
    org = await create_org(billing.client, owner)
    joined = []
    for _ in range(3):  # the owner plus two fill the free plan's 3 seats
        invited = await sign_up(billing.client)
        sent = await invite(billing.client, owner, org["id"], invited.email)
        assert sent.status_code == 200, sent.text
        joined.append((invited, sent.json()))
    for invited, invitation in joined[:2]:
        accepted = await post(
            billing.client, "accept-invitation", invited, {"invitationId": invitation["id"]}
        )
        assert accepted.status_code == 200, accepted.text
    invited, invitation = joined[2]
    refused = await post(
        billing.client, "accept-invitation", invited, {"invitationId": invitation["id"]}
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"] == "plan_limit_reached"
    assert refused.json()["limit"] == "team_seats"
    limits = await billing.client.get(
        "/internal/v1/billing/limits",
        params={"owner_type": "team", "owner_id": org["id"]},
        headers=INTERNAL,
    )
    assert limits.json()["owner_type"] == "team"
    assert limits.json()["limits"]["team_seats"] == 3
    # the owner upgrades to pro (no seat limit): the third one gets in
    sub = ev.subscription(
        "sub_team_owner",
        user_id=owner.user["id"],
        customer="cus_team_owner",
        status="active",
        price="price_pro_month",
        period=(NOW - DAY, NOW + 29 * DAY),
        plan="pro",
    )
    await billing.deliver(ev.event("evt_team_owner", "customer.subscription.created", sub, NOW))
    accepted = await post(
        billing.client, "accept-invitation", invited, {"invitationId": invitation["id"]}
    )
    assert accepted.status_code == 200, accepted.text


async def test_clawback_takes_what_is_there_once_and_never_reserved_credits(
    billing: Billing,
) -> None:
    user_id = await make_user(billing.app.state.db)
    owner = Owner("user", user_id)
    async with billing.app.state.db.transaction() as db:
        await credits.grant(db, owner, 100, "g-1", reason="test")
        await credits.grant(db, owner, 50, "g-2", reason="test", pool="allowance")
        await credits.hold(db, owner, 120, "h-1", ttl=timedelta(minutes=5))
    async with billing.app.state.db.transaction() as db:
        first = await clawback(db, owner, 90, "cb-1", reason="refund")
    # 150 on the account, 120 held: 30 can go, and only from purchased credits
    assert first.body["clawed_back"] == 30
    assert first.body["shortfall"] == 60
    async with billing.app.state.db.transaction() as db:
        again = await clawback(db, owner, 90, "cb-1", reason="refund")
    assert again.replayed
    assert (again.body["clawed_back"], again.body["shortfall"]) == (30, 60)
    after = await balance(billing, user_id)
    assert after["pools"] == {"allowance": 50, "purchased": 70, "reserved": 120}
    assert await ledger_problems(billing.app) == []
