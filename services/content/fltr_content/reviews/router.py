"""Reviews: ``/api/v1/datasets/{slug_or_id}/reviews`` (put yours, list, delete yours) and
``/api/v1/reviews/{id}/helpful``.

One review per user per dataset (a second PUT updates it; 201 when created, 200 when
updated), never on your own dataset (403 ``own_dataset``), rating 1..5. A dataset the caller
may not read is 404. Listing pages hold at most 100 reviews, newest first.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from fltr_content.audit.context import RequestContextDep
from fltr_content.callers.deps import CallerDep, OptionalCallerDep
from fltr_content.datasets.directory import DirectoryDep
from fltr_content.deps import AuthClientDep
from fltr_content.reviews import service
from fltr_content.reviews.schemas import ReviewIn, ReviewOut
from fltr_shared.db import SessionDep
from fltr_shared.pagination import Page, PageParamsDep

router = APIRouter(
    tags=["reviews"],
    responses={
        401: {"description": "No valid credential"},
        403: {"description": "Your own dataset or review, or not allowed at this scope"},
        404: {"description": "No such dataset or review, or one the caller may not see"},
    },
)

SlugOrId = Annotated[str, Path(min_length=1, max_length=100, description="Slug or id.")]
ReviewId = Annotated[str, Path(min_length=1, max_length=64)]


@router.put(
    "/api/v1/datasets/{slug_or_id}/reviews",
    response_model=ReviewOut,
    summary="Create or update your review of a dataset",
)
async def put_review(
    slug_or_id: SlugOrId,
    body: ReviewIn,
    caller: CallerDep,
    session: SessionDep,
    response: Response,
    auth_client: AuthClientDep,
    ctx: RequestContextDep,
    directory: DirectoryDep,
) -> ReviewOut:
    review, created = await service.put_review(
        session, caller, slug_or_id, body, auth_client=auth_client, ctx=ctx, directory=directory
    )
    response.status_code = 201 if created else 200
    return review


@router.get(
    "/api/v1/datasets/{slug_or_id}/reviews",
    response_model=Page[ReviewOut],
    summary="A dataset's reviews, newest first",
)
async def list_reviews(
    slug_or_id: SlugOrId,
    caller: OptionalCallerDep,
    session: SessionDep,
    params: PageParamsDep,
    directory: DirectoryDep,
) -> Page[ReviewOut]:
    return await service.list_reviews(session, caller, slug_or_id, params, directory)


@router.delete(
    "/api/v1/datasets/{slug_or_id}/reviews/mine",
    status_code=204,
    summary="Delete your review of a dataset",
)
async def delete_my_review(
    slug_or_id: SlugOrId, caller: CallerDep, session: SessionDep, directory: DirectoryDep
) -> Response:
    await service.delete_mine(session, caller, slug_or_id, directory)
    return Response(status_code=204)


@router.post(
    "/api/v1/reviews/{review_id}/helpful",
    response_model=ReviewOut,
    summary="Mark a review helpful (once per user)",
)
async def mark_helpful(
    review_id: ReviewId, caller: CallerDep, session: SessionDep, directory: DirectoryDep
) -> ReviewOut:
    return await service.mark_helpful(session, caller, review_id, directory)
