"""``/internal/v1/billing``: for FLTR's services (the app checks the service credential).

- ``POST /dataset-checkout``: the content service, which knows a dataset's owner and prices,
  asks for a Checkout page on a user's behalf (503 while billing is off);
- ``GET /limits``: an owner's plan and limits, for the content service to enforce;
- ``PUT /payout-accounts/{curator_id}`` and ``POST /payouts/run``: curators' payouts.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from fltr_auth.billing import payouts, service
from fltr_auth.billing.deps import BillingPolicyDep, BillingRoute, StripeDep, billing_enabled
from fltr_auth.billing.schemas import (
    CheckoutOut,
    DatasetCheckoutIn,
    LimitsOut,
    PayoutAccountIn,
    PayoutRunOut,
)
from fltr_shared.db import SessionDep
from fltr_shared.errors import ValidationFailed

router = APIRouter(prefix="/internal/v1/billing", tags=["internal: billing"])
# the endpoints that call Stripe: 503 billing_disabled before the body is read
stripe_router = APIRouter(
    prefix="/internal/v1/billing",
    tags=["internal: billing"],
    dependencies=[Depends(billing_enabled)],
    route_class=BillingRoute,
)
OwnerId = Annotated[str, Query(min_length=1, max_length=64)]


@stripe_router.post(
    "/dataset-checkout",
    response_model=CheckoutOut,
    summary="A Checkout page for a premium dataset, from the dataset's facts",
    responses={
        409: {"description": "own_dataset, free_dataset, wrong_pricing_model, already_entitled"},
        503: {"description": "billing_disabled"},
    },
)
async def dataset_checkout(
    body: DatasetCheckoutIn, db: SessionDep, client: StripeDep, policy: BillingPolicyDep
) -> CheckoutOut:
    link = await service.dataset_checkout(db, client, body, policy)
    return CheckoutOut(url=link.url, session_id=link.session_id)


@router.get("/limits", response_model=LimitsOut, summary="An owner's plan and its limits")
async def limits(
    db: SessionDep,
    policy: BillingPolicyDep,
    user_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    owner_type: Literal["user", "team"] = "user",
    owner_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
) -> LimitsOut:
    owner = owner_id or user_id
    if owner is None:
        raise ValidationFailed("Give user_id, or owner_type and owner_id.")
    kind: Literal["user", "team"] = owner_type if owner_id else "user"
    found = await service.limits_of(db, kind, owner, policy)
    return LimitsOut(
        owner_type=kind,
        owner_id=owner,
        plan=found.plan,
        limits=found.limits,
        enforced=found.enforced,
    )


@stripe_router.put(
    "/payout-accounts/{curator_id}",
    status_code=204,
    summary="Set the Stripe Connect account a curator (user or team) is paid to",
)
async def set_payout_account(curator_id: str, body: PayoutAccountIn, db: SessionDep) -> None:
    await service.set_payout_account(db, curator_id, body.stripe_account_id)


@stripe_router.post(
    "/payouts/run",
    response_model=PayoutRunOut,
    summary="Pay pending earnings by Stripe Connect transfers (idempotent per earning)",
)
async def run_payouts(
    request: Request,
    client: StripeDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> PayoutRunOut:
    outcome = await payouts.run(request.app.state.db, client, limit=limit)
    return PayoutRunOut(
        paid=outcome.paid,
        failed=outcome.failed,
        skipped=outcome.skipped,
        transfers=outcome.transfers,
    )
