"""Jobs: read one, list a dataset's, cancel, and follow one as server-sent events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from sse_starlette import EventSourceResponse

from fltr_content.callers.deps import CallerDep
from fltr_content.datasets.directory import DirectoryDep, directory_of
from fltr_content.jobs import service
from fltr_content.jobs.models import FINISHED_STATES
from fltr_content.jobs.schemas import JobOut
from fltr_shared.db import Database, SessionDep
from fltr_shared.pagination import Page, PageParamsDep

router = APIRouter(
    prefix="/api/v1",
    tags=["jobs"],
    responses={
        401: {"description": "No valid credential"},
        404: {"description": "No such job or dataset, or one the caller may not edit"},
    },
)

JobId = Annotated[str, Path(min_length=1, max_length=64)]
Ref = Annotated[str, Path(min_length=1, max_length=140)]
EVENT_POLL_SECONDS = 0.5
EVENT_STREAM_MAX_SECONDS = 3600


@router.get("/jobs/{job_id}", response_model=JobOut, summary="A processing job")
async def get_job(
    job_id: JobId, db: SessionDep, caller: CallerDep, directory: DirectoryDep
) -> JobOut:
    return await service.get(db, caller, job_id, directory)


@router.post(
    "/jobs/{job_id}/cancel",
    response_model=JobOut,
    summary="Cancel a job (queued: at once; running: at its next step)",
)
async def cancel_job(
    job_id: JobId, request: Request, db: SessionDep, caller: CallerDep, directory: DirectoryDep
) -> JobOut:
    # the directory knows the caller's teams: a team's editors cancel its datasets' jobs
    return await service.cancel(db, caller, job_id, request.app.state.charges, directory)


@router.get("/datasets/{ref}/jobs", response_model=Page[JobOut], summary="A dataset's jobs")
async def list_jobs(
    ref: Ref,
    db: SessionDep,
    caller: CallerDep,
    page: PageParamsDep,
    directory: DirectoryDep,
    state: Annotated[
        str | None, Query(pattern="^(queued|running|succeeded|failed|cancelled)$")
    ] = None,
) -> Page[JobOut]:
    items, total = await service.list_for_dataset(
        db, caller, ref, limit=page.limit, offset=page.offset, state=state, directory=directory
    )
    return Page.build(items, total, page)


@router.get(
    "/jobs/{job_id}/events",
    summary="Follow a job: server-sent events 'progress' on every change, then 'end'",
    response_class=EventSourceResponse,
    responses={
        200: {
            "description": "'progress' events (data: the job as JSON), then one 'end'",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def job_events(job_id: JobId, request: Request, caller: CallerDep) -> EventSourceResponse:
    database: Database = request.app.state.db
    directory = directory_of(request)
    async with database.transaction() as session:
        first = await service.get(session, caller, job_id, directory)  # 404 before streaming

    async def events() -> AsyncIterator[dict[str, str]]:
        last: str | None = None
        job = first
        loop = asyncio.get_running_loop()
        deadline = loop.time() + EVENT_STREAM_MAX_SECONDS
        while True:
            body = job.model_dump_json()
            if body != last:
                last = body
                yield {"event": "progress", "data": body}
            if job.state in FINISHED_STATES or loop.time() > deadline:
                yield {"event": "end", "data": json.dumps({"state": job.state})}
                return
            if await request.is_disconnected():
                return
            await asyncio.sleep(EVENT_POLL_SECONDS)
            async with database.transaction() as session:
                job = await service.get(session, caller, job_id, directory)

    return EventSourceResponse(events(), ping=15)
