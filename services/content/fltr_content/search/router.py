"""Search: ``POST /api/v1/datasets/{ref}/search`` (``ref`` = slug, id or ``slug@version``),
``POST /api/v1/search`` (several datasets, merged by score) and
``GET /api/v1/datasets/{ref}/chunks/{chunk_id}`` (a chunk with its neighbours).

Authentication: session (cookie, bearer, JWT) or API key (``Authorization: Bearer fltr_...``).
Each search costs ``SEARCH_PRICE_CREDITS`` (default 1) per dataset searched, charged once per
``Idempotency-Key`` (else per request id); 402 when the credits or the key's spend cap do not
cover it, with no results. Reading a chunk is free. Limits: see ``search.schemas``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request

from fltr_content.datasets.directory import DirectoryDep
from fltr_content.search import service
from fltr_content.search.deps import EngineDep, RecordedCallerDep
from fltr_content.search.schemas import (
    MAX_NEIGHBORS,
    ChunkOut,
    MultiSearchRequest,
    SearchRequest,
    SearchResponse,
)
from fltr_content.usage.recorder import track
from fltr_shared.db import SessionDep
from fltr_shared.request_id import current_request_id

router = APIRouter(
    tags=["search"],
    responses={
        400: {"description": "Bad Idempotency-Key, or rerank asked with no reranker"},
        401: {"description": "No valid credential"},
        402: {"description": "Not enough credits, or the key's spend cap is reached"},
        403: {"description": "Not on the key's allowlist, or a paid dataset not bought"},
        404: {"description": "No such dataset or version, or one the caller may not see"},
        409: {"description": "The Idempotency-Key was used for a different charge"},
        429: {"description": "Rate limit reached (see Retry-After and RateLimit-*)"},
    },
)

Ref = Annotated[str, Path(min_length=1, max_length=120, description="Slug, id, or slug@version.")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Retries with the same key are charged once (default: the request id).",
    ),
]


@router.post(
    "/api/v1/datasets/{ref}/search",
    response_model=SearchResponse,
    summary="Search a dataset (dense, keyword or hybrid)",
)
async def search_dataset(
    ref: Ref,
    body: SearchRequest,
    request: Request,
    caller: RecordedCallerDep,
    session: SessionDep,
    engine: EngineDep,
    directory: DirectoryDep,
    idempotency_key: IdempotencyKey = None,
) -> SearchResponse:
    key = service.idempotency_key(idempotency_key, current_request_id())
    outcome = await service.run(
        session, engine, caller, [ref], body, key, directory, track(request, "")
    )
    return outcome.response


@router.post(
    "/api/v1/search",
    response_model=SearchResponse,
    summary="Search several datasets at once, merged by score",
)
async def search_datasets(
    body: MultiSearchRequest,
    request: Request,
    caller: RecordedCallerDep,
    session: SessionDep,
    engine: EngineDep,
    directory: DirectoryDep,
    idempotency_key: IdempotencyKey = None,
) -> SearchResponse:
    key = service.idempotency_key(idempotency_key, current_request_id())
    outcome = await service.run(
        session, engine, caller, service.refs_of(body), body, key, directory, track(request, "")
    )
    return outcome.response


@router.get(
    "/api/v1/datasets/{ref}/chunks/{chunk_id}",
    response_model=ChunkOut,
    summary="Read one chunk, with its neighbours in document order",
)
async def read_chunk(
    ref: Ref,
    chunk_id: Annotated[str, Path(min_length=1, max_length=64)],
    request: Request,
    caller: RecordedCallerDep,
    session: SessionDep,
    engine: EngineDep,
    directory: DirectoryDep,
    neighbors: Annotated[
        int,
        Query(
            ge=0, le=MAX_NEIGHBORS, description=f"Chunks before and after (max {MAX_NEIGHBORS})."
        ),
    ] = 0,
) -> ChunkOut:
    return await service.read_chunk(
        session, engine, caller, ref, chunk_id, neighbors, directory, track(request, "")
    )
