"""``/internal/v1/credits``: the ledger, for FLTR's services (the app checks the service
credential). Refusals answer ``{"error", "detail"}``: 402 ``insufficient_credits`` (with
``balance``) or ``spend_cap_reached``, 404 for an unknown user, team, key or hold, 409 for a
reused idempotency key or a hold that cannot be captured or released (any more)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from fltr_auth.credits import service
from fltr_auth.credits.schemas import (
    BalanceOut,
    CaptureIn,
    CaptureOut,
    DeductIn,
    DeductionOutcome,
    DeductionsIn,
    DeductionsOut,
    DeductOut,
    EntryKind,
    GrantIn,
    GrantOut,
    HoldIn,
    HoldOut,
    ReleaseIn,
    ReleaseOut,
    RowId,
    TransactionOut,
    TransferIn,
    TransferOut,
    as_utc,
)
from fltr_auth.deps import SettingsDep
from fltr_shared.db import SessionDep
from fltr_shared.metrics_catalog import LEDGER_OPERATIONS
from fltr_shared.pagination import Page, PageParamsDep

REPLAYED_HEADER = "Idempotent-Replayed"
ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "No service credential, or the API key is revoked or expired"},
    402: {"description": "insufficient_credits (with balance) or spend_cap_reached"},
    404: {"description": "Unknown user, organization, API key or hold"},
    409: {"description": "idempotency_conflict, or the hold is closed or holds less"},
}


async def _count_operation(request: Request, response: Response) -> AsyncIterator[None]:
    """fltr_ledger_operations_total for every write below, whatever its outcome."""
    if request.method != "POST":
        yield
        return
    operation = getattr(request.scope.get("route"), "name", "unknown")
    try:
        yield
    except Exception as exc:
        LEDGER_OPERATIONS.labels(operation, str(getattr(exc, "code", "error"))).inc()
        raise
    replayed = response.headers.get(REPLAYED_HEADER) == "true"
    LEDGER_OPERATIONS.labels(operation, "replayed" if replayed else "ok").inc()


router = APIRouter(
    prefix="/internal/v1/credits",
    tags=["internal: credits"],
    responses=ERRORS,
    dependencies=[Depends(_count_operation)],
)


def _mark(response: Response, result: service.Result) -> None:
    if result.replayed:
        response.headers[REPLAYED_HEADER] = "true"


@router.post("/grant", response_model=GrantOut, summary="Add credits (billing, admins)")
async def grant(body: GrantIn, db: SessionDep, response: Response) -> GrantOut:
    result = await service.grant(
        db,
        body.owner(),
        body.amount,
        body.idempotency_key,
        reason=body.reason,
        pool=body.pool,
        resource_id=body.resource_id,
    )
    _mark(response, result)
    return GrantOut.model_validate(result.body)


@router.post("/deduct", response_model=DeductOut, summary="Charge credits now")
async def deduct(body: DeductIn, db: SessionDep, response: Response) -> DeductOut:
    result = await service.deduct(
        db,
        body.owner(),
        body.amount,
        body.idempotency_key,
        operation=body.operation,
        resource_id=body.resource_id,
        standalone=True,
    )
    _mark(response, result)
    return DeductOut.model_validate(result.body)


@router.post(
    "/deductions",
    response_model=DeductionsOut,
    summary="Charge several deductions in one call, each answered as /deduct would",
)
async def deduct_many(body: DeductionsIn, db: SessionDep) -> DeductionsOut:
    """For a service that answers first and charges a moment later, in batches (the content
    service's searches, see its ``credits.deferred``): each item keeps its own idempotency key,
    ledger operation and entries, exactly as if it had been sent to ``/deduct`` alone, and a
    refused item changes nothing of its own or of the others. The call itself is 200 unless
    the whole body is invalid (422)."""
    outcomes = await service.deduct_many(
        db,
        [
            service.Deduction(
                owner=item.owner(),
                amount=item.amount,
                idempotency_key=item.idempotency_key,
                operation=item.operation,
                resource_id=item.resource_id,
            )
            for item in body.deductions
        ],
    )
    results = []
    for outcome in outcomes:
        if isinstance(outcome, service.Result):
            LEDGER_OPERATIONS.labels("deduct", "replayed" if outcome.replayed else "ok").inc()
            results.append(
                DeductionOutcome(
                    status=200,
                    replayed=outcome.replayed,
                    deduction=DeductOut.model_validate(outcome.body),
                )
            )
        else:
            LEDGER_OPERATIONS.labels("deduct", outcome.code).inc()
            results.append(DeductionOutcome(status=outcome.status_code, error=outcome.body()))
    return DeductionsOut(results=results)


@router.post(
    "/holds", response_model=HoldOut, status_code=201, summary="Reserve credits for long work"
)
async def hold(body: HoldIn, db: SessionDep, settings: SettingsDep, response: Response) -> HoldOut:
    ttl = body.expires_in_seconds or settings.credit_hold_ttl_seconds
    result = await service.hold(
        db,
        body.owner(),
        body.amount,
        body.idempotency_key,
        ttl=timedelta(seconds=ttl),
        operation=body.operation,
        resource_id=body.resource_id,
    )
    _mark(response, result)
    return HoldOut.model_validate(result.body)


@router.post(
    "/holds/{hold_id}/capture",
    response_model=CaptureOut,
    summary="Charge what the work used (at most the hold) and release the rest",
)
async def capture(
    hold_id: RowId, body: CaptureIn, db: SessionDep, response: Response
) -> CaptureOut:
    result = await service.capture(db, hold_id, body.amount, body.idempotency_key)
    _mark(response, result)
    return CaptureOut.model_validate(result.body)


@router.post(
    "/holds/{hold_id}/release", response_model=ReleaseOut, summary="Give a hold's credits back"
)
async def release(
    hold_id: RowId, body: ReleaseIn, db: SessionDep, response: Response
) -> ReleaseOut:
    result = await service.release(db, hold_id, body.idempotency_key)
    _mark(response, result)
    return ReleaseOut.model_validate(result.body)


@router.post(
    "/transfers", response_model=TransferOut, summary="Fund an API key's pool, or move back"
)
async def transfer(body: TransferIn, db: SessionDep, response: Response) -> TransferOut:
    result = await service.transfer(
        db, body.api_key_id, body.amount, body.idempotency_key, direction=body.direction
    )
    _mark(response, result)
    return TransferOut.model_validate(result.body)


UserQuery = Annotated[
    str | None, Query(min_length=1, max_length=64, description="The user asking (or whose).")
]
OrganizationQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=64,
        description="A team's account; with user_id, only if that user is a member.",
    ),
]


@router.get("/balance", response_model=BalanceOut, summary="A user's or a team's balance")
async def balance(
    db: SessionDep, user_id: UserQuery = None, organization_id: OrganizationQuery = None
) -> BalanceOut:
    owner = await service.owner_for(db, user_id, organization_id)
    return BalanceOut.model_validate(await service.balance(db, owner))


@router.get(
    "/transactions",
    response_model=Page[TransactionOut],
    summary="A user's or a team's ledger entries, newest first",
)
async def transactions(
    db: SessionDep,
    page: PageParamsDep,
    user_id: UserQuery = None,
    organization_id: OrganizationQuery = None,
    kind: EntryKind | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[TransactionOut]:
    owner = await service.owner_for(db, user_id, organization_id)
    rows, total = await service.transactions(
        db,
        owner,
        kind=kind,
        since=as_utc(since),
        until=as_utc(until),
        limit=page.limit,
        offset=page.offset,
    )
    items = [TransactionOut.model_validate(row) for row in rows]
    return Page[TransactionOut].build(items, total, page)
