"""``/api/v1/datasets``: create, read (by slug or id), update, soft delete and browse.

Who may do what is ``fltr_content.datasets.policy``'s: a private dataset is 404 to anyone but
its owner, its team and admins. Listing pages hold at most 100 items (``limit``; more is a
422). Every change is written to the audit log in the same transaction.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from fltr_content.audit.context import RequestContextDep
from fltr_content.callers.deps import CallerDep, OptionalCallerDep
from fltr_content.datasets import service
from fltr_content.datasets.directory import DirectoryDep
from fltr_content.datasets.schemas import (
    Category,
    DatasetCreate,
    DatasetList,
    DatasetOut,
    DatasetUpdate,
    ListingFilters,
    SortKey,
    Visibility,
)
from fltr_content.deps import SettingsDep
from fltr_shared.db import SessionDep
from fltr_shared.pagination import DEFAULT_PAGE_SIZE, MAX_OFFSET, MAX_PAGE_SIZE

router = APIRouter(
    prefix="/api/v1/datasets",
    tags=["datasets"],
    responses={
        401: {"description": "No valid credential"},
        403: {"description": "Not the owner, or not allowed at this scope"},
        404: {"description": "No such dataset, or one the caller may not see"},
    },
)
_SLUG_TAKEN: dict[int | str, dict[str, Any]] = {
    409: {"description": "slug_taken: another dataset has that slug"}
}

SlugOrId = Annotated[str, Path(min_length=1, max_length=100, description="Slug or id.")]


@router.post(
    "",
    status_code=201,
    response_model=DatasetOut,
    summary="Create a dataset",
    responses=_SLUG_TAKEN,
)
async def create_dataset(
    body: DatasetCreate,
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    directory: DirectoryDep,
    ctx: RequestContextDep,
) -> DatasetOut:
    return await service.create(
        session,
        caller,
        body,
        directory=directory,
        ctx=ctx,
        limits=request.app.state.plan_limits,
    )


@router.get(
    "",
    response_model=DatasetList,
    summary="Browse datasets",
    responses={
        400: {
            "description": "invalid_cursor: a cursor not from this listing, or both "
            "cursor and offset"
        }
    },
)
async def list_datasets(
    caller: OptionalCallerDep,
    session: SessionDep,
    directory: DirectoryDep,
    category: Category | None = None,
    visibility: Visibility | None = None,
    owner: Annotated[str | None, Query(max_length=64, description="An owner's id.")] = None,
    tag: Annotated[str | None, Query(max_length=100, description="A tag's slug.")] = None,
    featured: bool | None = None,
    verified: bool | None = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Case-insensitive match on name/description.")
    ] = None,
    sort: Annotated[SortKey, Query(description="newest, rating or popularity.")] = "newest",
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"Items per page (max {MAX_PAGE_SIZE}).")
    ] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[
        str | None, Query(max_length=500, description="next_cursor of the previous page.")
    ] = None,
    offset: Annotated[
        int | None,
        Query(
            ge=0,
            le=MAX_OFFSET,
            description="Items to skip (instead of a cursor); adds total.",
        ),
    ] = None,
) -> DatasetList:
    filters = ListingFilters(
        category=category,
        visibility=visibility,
        owner_id=owner,
        featured=featured,
        verified=verified,
        q=q,
        tag=tag,
    )
    return await service.browse(
        session,
        caller,
        filters,
        sort=sort,
        limit=limit,
        cursor=cursor,
        offset=offset,
        directory=directory,
    )


@router.get("/{slug_or_id}", response_model=DatasetOut, summary="Read a dataset")
async def read_dataset(
    slug_or_id: SlugOrId, caller: OptionalCallerDep, session: SessionDep, directory: DirectoryDep
) -> DatasetOut:
    return await service.get(session, caller, slug_or_id, directory=directory)


@router.patch(
    "/{slug_or_id}", response_model=DatasetOut, summary="Change a dataset", responses=_SLUG_TAKEN
)
async def update_dataset(
    slug_or_id: SlugOrId,
    body: DatasetUpdate,
    caller: CallerDep,
    session: SessionDep,
    directory: DirectoryDep,
    ctx: RequestContextDep,
) -> DatasetOut:
    return await service.update(session, caller, slug_or_id, body, directory=directory, ctx=ctx)


@router.delete("/{slug_or_id}", status_code=204, summary="Delete a dataset (soft)")
async def delete_dataset(
    slug_or_id: SlugOrId,
    caller: CallerDep,
    session: SessionDep,
    directory: DirectoryDep,
    ctx: RequestContextDep,
) -> Response:
    await service.delete(session, caller, slug_or_id, directory=directory, ctx=ctx)
    return Response(status_code=204)


@router.post(
    "/{slug_or_id}:restore",
    response_model=DatasetOut,
    summary="Restore a deleted dataset within its grace period (DATASET_DELETE_GRACE_DAYS)",
)
async def restore_dataset(
    slug_or_id: SlugOrId,
    caller: CallerDep,
    session: SessionDep,
    directory: DirectoryDep,
    ctx: RequestContextDep,
    settings: SettingsDep,
) -> DatasetOut:
    return await service.restore(
        session,
        caller,
        slug_or_id,
        grace_days=settings.dataset_delete_grace_days,
        directory=directory,
        ctx=ctx,
    )
