"""``/api/v1/billing``: Checkout, the customer portal, Stripe's webhooks, subscriptions,
plan usage and curators' earnings. Every endpoint answers 503 ``billing_disabled`` while
``STRIPE_SECRET_KEY`` is unset."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request

from fltr_auth.billing import service
from fltr_auth.billing.deps import (
    BillingPolicyDep,
    BillingRoute,
    StripeDep,
    WebhookSecretDep,
    billing_enabled,
)
from fltr_auth.billing.schemas import (
    CheckoutIn,
    CheckoutOut,
    EarningOut,
    EarningsOut,
    PortalOut,
    SubscriptionOut,
    UsageItem,
    UsageOut,
    WebhookOut,
)
from fltr_auth.credits import service as credits
from fltr_auth.deps import CurrentSessionDep, origin_guard
from fltr_shared.db import SessionDep
from fltr_shared.pagination import PageParamsDep

ERRORS: dict[int | str, dict[str, str]] = {
    503: {"description": "billing_disabled (no STRIPE_SECRET_KEY) or stripe_unavailable"},
}

router = APIRouter(
    prefix="/api/v1/billing",
    tags=["billing"],
    responses=ERRORS,
    dependencies=[Depends(billing_enabled), Depends(origin_guard)],
    route_class=BillingRoute,
)
# Stripe calls this one: no session and no Origin, the signature is the credential.
webhook_router = APIRouter(
    prefix="/api/v1/billing",
    tags=["billing"],
    responses=ERRORS,
    dependencies=[Depends(billing_enabled)],
    route_class=BillingRoute,
)


@router.post(
    "/checkout",
    response_model=CheckoutOut,
    summary="A Stripe Checkout page for a credit pack or a plan",
    responses={401: {"description": "No session"}, 422: {"description": "unknown_price"}},
)
async def checkout(
    body: CheckoutIn,
    current: CurrentSessionDep,
    db: SessionDep,
    client: StripeDep,
    policy: BillingPolicyDep,
) -> CheckoutOut:
    link = await service.checkout(db, client, current.user, body, policy)
    return CheckoutOut(url=link.url, session_id=link.session_id)


@router.post("/portal", response_model=PortalOut, summary="The Stripe customer portal")
async def portal(
    current: CurrentSessionDep, db: SessionDep, client: StripeDep, policy: BillingPolicyDep
) -> PortalOut:
    return PortalOut(url=await service.portal(db, client, current.user, policy))


@webhook_router.post(
    "/webhooks/stripe",
    response_model=WebhookOut,
    summary="Stripe's events (signed); each applied once",
    responses={400: {"description": "invalid_signature or malformed_event; nothing changed"}},
)
async def stripe_webhook(
    request: Request,
    db: SessionDep,
    secret: WebhookSecretDep,
    policy: BillingPolicyDep,
    stripe_signature: Annotated[str | None, Header()] = None,
) -> WebhookOut:
    raw = await request.body()  # the signature covers these exact bytes
    outcome = await service.handle_webhook(db, raw, stripe_signature, secret, policy)
    return WebhookOut(
        event_id=outcome.event_id,
        type=outcome.type,
        duplicate=outcome.duplicate,
        handled=outcome.handled,
    )


@router.get(
    "/subscriptions", response_model=list[SubscriptionOut], summary="The caller's subscriptions"
)
async def subscriptions(current: CurrentSessionDep, db: SessionDep) -> list[SubscriptionOut]:
    rows = await service.subscriptions(db, current.user.id)
    return [SubscriptionOut.model_validate(row) for row in rows]


@router.get("/usage", response_model=UsageOut, summary="Usage against the plan's limits")
async def usage(
    current: CurrentSessionDep,
    db: SessionDep,
    policy: BillingPolicyDep,
    organization_id: Annotated[
        str | None, Query(min_length=1, max_length=64, description="A team you are in.")
    ] = None,
) -> UsageOut:
    owner = await credits.owner_for_member(db, current.user.id, organization_id)
    owner_type: Literal["user", "team"] = "team" if owner.kind == "organization" else "user"
    found = await service.usage(db, owner_type, owner.id, policy)
    start, end = found.period
    return UsageOut(
        plan=found.plan,
        period_start=start,
        period_end=end,
        enforced=found.enforced,
        usage={k: UsageItem(used=u, limit=lim) for k, (u, lim) in found.items.items()},
    )


@router.get("/earnings", response_model=EarningsOut, summary="A curator's earnings")
async def earnings(current: CurrentSessionDep, db: SessionDep, page: PageParamsDep) -> EarningsOut:
    rows, total, totals = await service.earnings(db, current.user.id, page.limit, page.offset)
    return EarningsOut(
        items=[EarningOut.model_validate(row) for row in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
        totals_cents=totals,
    )
