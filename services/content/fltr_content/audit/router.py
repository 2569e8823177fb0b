"""``GET /api/v1/datasets/{slug_or_id}/audit``: a dataset's change log, newest first, for its
editors and site admins (others: 403, or 404 when they may not see the dataset)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from fltr_content.audit import service
from fltr_content.audit.schemas import AuditEntryOut
from fltr_content.callers.deps import CallerDep
from fltr_content.datasets import service as datasets
from fltr_content.datasets.directory import DirectoryDep
from fltr_shared.db import SessionDep
from fltr_shared.pagination import Page, PageParamsDep

router = APIRouter(
    prefix="/api/v1/datasets/{slug_or_id}/audit",
    tags=["audit"],
    responses={
        401: {"description": "No valid credential"},
        403: {"description": "Not an editor of the dataset"},
        404: {"description": "No such dataset, or one the caller may not see"},
    },
)

SlugOrId = Annotated[str, Path(min_length=1, max_length=100, description="Slug or id.")]


@router.get("", response_model=Page[AuditEntryOut], summary="A dataset's audit log")
async def dataset_audit(
    slug_or_id: SlugOrId,
    caller: CallerDep,
    session: SessionDep,
    directory: DirectoryDep,
    params: PageParamsDep,
) -> Page[AuditEntryOut]:
    dataset = await datasets.editable(session, caller, slug_or_id, directory)
    return await service.of_dataset(session, dataset.id, params)
