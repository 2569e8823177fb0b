"""``/api/v1/credits``: the signed-in user's (or their team's) balance and history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from fltr_auth.credits import service
from fltr_auth.credits.schemas import BalanceOut, EntryKind, TransactionOut, as_utc
from fltr_auth.deps import CurrentSessionDep
from fltr_shared.db import SessionDep
from fltr_shared.pagination import Page, PageParamsDep

OrganizationQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=64,
        description="A team the caller is a member of; default: the caller's own account.",
    ),
]
ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "No session"},
    403: {"description": "not_a_member of that organization"},
}

router = APIRouter(prefix="/api/v1/credits", tags=["credits"], responses=ERRORS)


@router.get("/balance", response_model=BalanceOut, summary="Credits spendable now, by pool")
async def balance(
    current: CurrentSessionDep, db: SessionDep, organization_id: OrganizationQuery = None
) -> BalanceOut:
    owner = await service.owner_for_member(db, current.user.id, organization_id)
    return BalanceOut.model_validate(await service.balance(db, owner))


@router.get(
    "/transactions",
    response_model=Page[TransactionOut],
    summary="Ledger entries, newest first (filter by kind and time)",
)
async def transactions(
    current: CurrentSessionDep,
    db: SessionDep,
    page: PageParamsDep,
    organization_id: OrganizationQuery = None,
    kind: Annotated[EntryKind | None, Query(description="Only entries of this kind.")] = None,
    since: Annotated[datetime | None, Query(description="From this time (UTC if no zone).")] = None,
    until: Annotated[datetime | None, Query(description="Before this time.")] = None,
) -> Page[TransactionOut]:
    owner = await service.owner_for_member(db, current.user.id, organization_id)
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
