"""``/api/v1/tags``: every tag with its usage count (the non-deleted datasets carrying it),
most used first, then by name; ``q`` matches part of the name or slug. Pages hold at most 100
items."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from fltr_content.tags import service
from fltr_content.tags.schemas import TagOut
from fltr_shared.db import SessionDep
from fltr_shared.pagination import Page, PageParamsDep

router = APIRouter(prefix="/api/v1/tags", tags=["tags"])


@router.get("", response_model=Page[TagOut], summary="List tags with their usage counts")
async def list_tags(
    session: SessionDep,
    params: PageParamsDep,
    q: Annotated[
        str | None, Query(max_length=50, description="Case-insensitive match on name or slug.")
    ] = None,
) -> Page[TagOut]:
    return await service.list_tags(session, q, params)
