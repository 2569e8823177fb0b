"""``/api/v1/datasets/{slug_or_id}/versions``: list and read versions (readers), publish the
working copy as a new version and choose the active one (editors).

Publishing answers 201 when the copy ran within the request, 202 with ``job_id`` when a
background job finishes it (working copies above ``PUBLISH_INLINE_MAX_CHUNKS`` chunks).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from fltr_content.audit.context import RequestContextDep
from fltr_content.callers.deps import CallerDep, OptionalCallerDep
from fltr_content.datasets.directory import DirectoryDep
from fltr_content.deps import SettingsDep
from fltr_content.vectors.chunks import ChunkStore
from fltr_content.versions import publishing
from fltr_content.versions.schemas import ActiveVersionIn, PublishIn, VersionOut
from fltr_shared.db import SessionDep, after_commit
from fltr_shared.pagination import Page, PageParamsDep

router = APIRouter(
    prefix="/api/v1/datasets/{slug_or_id}/versions",
    tags=["versions"],
    responses={
        401: {"description": "No valid credential"},
        403: {"description": "Not an editor of the dataset"},
        404: {"description": "No such dataset or version, or one the caller may not see"},
    },
)

SlugOrId = Annotated[str, Path(min_length=1, max_length=100, description="Slug or id.")]
Label = Annotated[str, Path(min_length=1, max_length=20, description='"1.0.0" or "draft".')]


def _chunks(request: Request) -> ChunkStore:
    chunks: ChunkStore = request.app.state.chunks
    return chunks


@router.get("", response_model=Page[VersionOut], summary="A dataset's versions, newest first")
async def list_versions(
    slug_or_id: SlugOrId,
    caller: OptionalCallerDep,
    session: SessionDep,
    directory: DirectoryDep,
    params: PageParamsDep,
) -> Page[VersionOut]:
    return await publishing.list_versions(session, caller, slug_or_id, params, directory)


@router.post(
    "",
    status_code=201,
    response_model=VersionOut,
    summary="Publish the working copy as a new version",
    responses={
        202: {"description": "Accepted: a publish job copies it (see job_id)"},
        409: {"description": "The version exists already"},
    },
)
async def publish_version(
    slug_or_id: SlugOrId,
    body: PublishIn,
    caller: CallerDep,
    session: SessionDep,
    directory: DirectoryDep,
    ctx: RequestContextDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
) -> VersionOut:
    version, done = await publishing.publish(
        session,
        _chunks(request),
        caller,
        slug_or_id,
        body,
        inline_max_chunks=settings.publish_inline_max_chunks,
        directory=directory,
        ctx=ctx,
    )
    if not done:
        response.status_code = 202
        runner = getattr(request.app.state, "jobs", None)
        if runner is not None and version.job_id is not None:
            job_id = version.job_id
            # the runner's poller would find it too; this only saves the wait
            after_commit(session, lambda: runner.submit(job_id))
    return version


@router.patch("/active", response_model=VersionOut, summary="Choose the active version")
async def set_active_version(
    slug_or_id: SlugOrId,
    body: ActiveVersionIn,
    caller: CallerDep,
    session: SessionDep,
    directory: DirectoryDep,
    ctx: RequestContextDep,
) -> VersionOut:
    return await publishing.set_active(
        session, caller, slug_or_id, body, directory=directory, ctx=ctx
    )


@router.get("/{version}", response_model=VersionOut, summary="One version (or the draft)")
async def read_version(
    slug_or_id: SlugOrId,
    version: Label,
    caller: OptionalCallerDep,
    session: SessionDep,
    directory: DirectoryDep,
) -> VersionOut:
    return await publishing.get_version(session, caller, slug_or_id, version, directory)
