"""``/api/v1/credits``: the caller's balance and history, answered by the auth service.

Same paths and shapes as the auth service's (seed 001 served them on this port). A team's
API key sees its team's account; anyone else their own, or with ``organization_id`` a
team's they are a member of. Search charges this process answered first and has not sent to
the ledger yet (``credits.deferred``) are sent before the ledger is read, so a caller who has
just searched sees the charge.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from fltr_content.callers.deps import CallerDep
from fltr_content.callers.resolver import Caller
from fltr_content.credits.deferred import DeferredCharges
from fltr_content.credits.schemas import BalanceOut, TransactionOut
from fltr_content.deps import AuthClientDep
from fltr_shared.pagination import Page, PageParamsDep

EntryKind = Literal["grant", "deduct", "capture", "transfer", "allowance", "allowance_expired"]
OrganizationQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=64,
        description="A team the caller is a member of; default: the caller's own account.",
    ),
]


async def _charges_sent(request: Request) -> None:
    deferred: DeferredCharges | None = getattr(request.app.state, "deferred_charges", None)
    if deferred is not None and deferred.pending:
        await deferred.flush()  # unreachable ledger: 503, as the read would be


router = APIRouter(
    prefix="/api/v1/credits",
    tags=["credits"],
    responses={401: {"description": "No valid credential"}, 403: {"description": "Not a member"}},
    dependencies=[Depends(_charges_sent)],
)


def _whose(caller: Caller, organization_id: str | None) -> dict[str, str]:
    if caller.owner_type == "team":
        return {"organization_id": caller.user_id}
    params = {"user_id": caller.user_id}
    if organization_id is not None:
        params["organization_id"] = organization_id
    return params


def _refused(status: int, body: Any) -> JSONResponse:
    return JSONResponse(body, status_code=status)


@router.get("/balance", response_model=BalanceOut, summary="Credits spendable now, by pool")
async def balance(
    caller: CallerDep, auth: AuthClientDep, organization_id: OrganizationQuery = None
) -> BalanceOut | JSONResponse:
    status, body = await auth.credits_read("balance", _whose(caller, organization_id))
    if status != 200:
        return _refused(status, body)
    return BalanceOut.model_validate(body)


@router.get(
    "/transactions",
    response_model=Page[TransactionOut],
    summary="Ledger entries, newest first (filter by kind and time)",
)
async def transactions(
    caller: CallerDep,
    auth: AuthClientDep,
    page: PageParamsDep,
    organization_id: OrganizationQuery = None,
    kind: Annotated[EntryKind | None, Query(description="Only entries of this kind.")] = None,
    since: Annotated[datetime | None, Query(description="From this time (UTC if no zone).")] = None,
    until: Annotated[datetime | None, Query(description="Before this time.")] = None,
) -> Page[TransactionOut] | JSONResponse:
    params: dict[str, Any] = {
        **_whose(caller, organization_id),
        "limit": page.limit,
        "offset": page.offset,
    }
    for name, value in (("kind", kind), ("since", since), ("until", until)):
        if value is not None:
            params[name] = value.isoformat() if isinstance(value, datetime) else value
    status, body = await auth.credits_read("transactions", params)
    if status != 200:
        return _refused(status, body)
    return Page[TransactionOut].model_validate(body)
