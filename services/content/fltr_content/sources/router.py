"""``/api/v1/datasets/{slug_or_id}/sources``: where a dataset's documents come from. Readers
of the dataset list and read them; its editors create, change and delete them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from fltr_content.audit.context import RequestContextDep
from fltr_content.callers.deps import CallerDep, OptionalCallerDep
from fltr_content.datasets.directory import DirectoryDep
from fltr_content.sources import service
from fltr_content.sources.schemas import SourceCreate, SourceOut, SourceUpdate
from fltr_shared.db import SessionDep
from fltr_shared.pagination import Page, PageParamsDep

router = APIRouter(
    prefix="/api/v1/datasets/{slug_or_id}/sources",
    tags=["sources"],
    responses={
        401: {"description": "No valid credential"},
        403: {"description": "Not an editor of the dataset"},
        404: {"description": "No such dataset or source, or one the caller may not see"},
    },
)

SlugOrId = Annotated[str, Path(min_length=1, max_length=100, description="Slug or id.")]
SourceId = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("", response_model=Page[SourceOut], summary="A dataset's sources, newest first")
async def list_sources(
    slug_or_id: SlugOrId,
    caller: OptionalCallerDep,
    session: SessionDep,
    directory: DirectoryDep,
    params: PageParamsDep,
) -> Page[SourceOut]:
    return await service.list_sources(session, caller, slug_or_id, params, directory)


@router.post("", status_code=201, response_model=SourceOut, summary="Add a source")
async def create_source(
    slug_or_id: SlugOrId,
    body: SourceCreate,
    caller: CallerDep,
    session: SessionDep,
    directory: DirectoryDep,
    ctx: RequestContextDep,
) -> SourceOut:
    return await service.create_source(
        session, caller, slug_or_id, body, directory=directory, ctx=ctx
    )


@router.get("/{source_id}", response_model=SourceOut, summary="One source")
async def read_source(
    slug_or_id: SlugOrId,
    source_id: SourceId,
    caller: OptionalCallerDep,
    session: SessionDep,
    directory: DirectoryDep,
) -> SourceOut:
    return await service.get_source(session, caller, slug_or_id, source_id, directory)


@router.patch("/{source_id}", response_model=SourceOut, summary="Change a source")
async def update_source(
    slug_or_id: SlugOrId,
    source_id: SourceId,
    body: SourceUpdate,
    caller: CallerDep,
    session: SessionDep,
    directory: DirectoryDep,
    ctx: RequestContextDep,
) -> SourceOut:
    return await service.update_source(
        session, caller, slug_or_id, source_id, body, directory=directory, ctx=ctx
    )


@router.delete("/{source_id}", status_code=204, summary="Delete a source")
async def delete_source(
    slug_or_id: SlugOrId,
    source_id: SourceId,
    caller: CallerDep,
    session: SessionDep,
    directory: DirectoryDep,
    ctx: RequestContextDep,
) -> Response:
    await service.delete_source(
        session, caller, slug_or_id, source_id, directory=directory, ctx=ctx
    )
    return Response(status_code=204)
