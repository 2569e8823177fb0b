"""``GET /api/v1/usage`` (the caller's calls per day, key and dataset, plus what is left of the
monthly allowance) and ``GET /api/v1/datasets/{slug_or_id}/usage`` (calls on a dataset per
day, for whoever may edit it).

Windows: ``since``/``until`` (UTC; default the last 30 days, at most 366). Rows are written
a moment after each call (``USAGE_FLUSH_SECONDS``), so the newest calls can lag that long.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query

from fltr_content.callers.deps import CallerDep
from fltr_content.datasets.directory import DirectoryDep
from fltr_content.deps import AuthClientDep
from fltr_content.usage import service
from fltr_content.usage.schemas import CallerUsage, DatasetUsage
from fltr_shared.db import SessionDep

router = APIRouter(
    tags=["usage"],
    responses={
        400: {"description": "invalid_window: since is not before until"},
        401: {"description": "No valid credential"},
        403: {"description": "Not an editor of the dataset"},
        404: {"description": "No such dataset, or one the caller may not see"},
    },
)

Since = Annotated[datetime | None, Query(description="From (default: 30 days before until).")]
Until = Annotated[datetime | None, Query(description="Before (default: now).")]


@router.get("/api/v1/usage", response_model=CallerUsage, summary="Your API usage per day")
async def my_usage(
    caller: CallerDep,
    session: SessionDep,
    auth: AuthClientDep,
    since: Since = None,
    until: Until = None,
) -> CallerUsage:
    return await service.for_caller(session, auth, caller, since, until)


@router.get(
    "/api/v1/datasets/{slug_or_id}/usage",
    response_model=DatasetUsage,
    summary="API usage of a dataset per day (its editors)",
)
async def dataset_usage(
    slug_or_id: Annotated[str, Path(min_length=1, max_length=100)],
    caller: CallerDep,
    session: SessionDep,
    directory: DirectoryDep,
    since: Since = None,
    until: Until = None,
) -> DatasetUsage:
    return await service.for_dataset(session, caller, slug_or_id, since, until, directory)
