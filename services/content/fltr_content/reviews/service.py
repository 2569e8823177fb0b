"""The rules of the reviews domain: one review per user per dataset (a second PUT updates
it), never on your own dataset, helpful votes once per user and never on your own review.
Read access to the dataset is the datasets service's (``datasets.policy``): a dataset the
caller may not see is 404.

The dataset's ``rating_count`` / ``rating_average`` are recomputed from the reviews table in
the same transaction after every write, with the dataset row locked first, so they stay exact
under concurrent reviews. Never commits (the request's session does).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content import audit
from fltr_content.audit.context import RequestContext
from fltr_content.audit.service import diff
from fltr_content.auth_client import AuthServiceClient
from fltr_content.callers.resolver import Caller
from fltr_content.datasets import service as datasets
from fltr_content.datasets.directory import OwnerDirectory, has_editor_role
from fltr_content.datasets.entitlement import has_paid_for
from fltr_content.datasets.schemas import DatasetOut
from fltr_content.reviews import repository
from fltr_content.reviews.models import Review
from fltr_content.reviews.schemas import ReviewIn, ReviewOut
from fltr_shared.db import utcnow
from fltr_shared.errors import Forbidden, NotFound
from fltr_shared.pagination import Page, PageParams


def _review_not_found() -> NotFound:
    return NotFound("No such review.", code="review_not_found")


def _reviewer(caller: Caller) -> None:
    if caller.owner_type != "user":
        raise Forbidden("Reviews are written by users, not by a team's keys.")
    if not caller.has_scope("write"):
        raise Forbidden("Reviews need the write scope.", code="insufficient_scope")


async def _owns(caller: Caller, dataset: DatasetOut, directory: OwnerDirectory | None) -> bool:
    """The caller's own dataset: its owning user, or an owner/admin (an editor) of its team."""
    if dataset.owner_type == caller.owner_type and dataset.owner_id == caller.user_id:
        return True
    if dataset.owner_type != "team" or caller.owner_type != "user" or directory is None:
        return False
    return has_editor_role(await directory.role_in(dataset.owner_id, caller.user_id))


async def put_review(
    session: AsyncSession,
    caller: Caller,
    slug_or_id: str,
    body: ReviewIn,
    *,
    auth_client: AuthServiceClient | None = None,
    ctx: RequestContext | None = None,
    directory: OwnerDirectory | None = None,
) -> tuple[ReviewOut, bool]:
    """Create or update the caller's review; returns it and whether it was created.
    ``verified_purchase``: the entitlement check says the caller paid for the dataset (asked
    before the dataset row is locked, never while holding it)."""
    # the directory knows the caller's teams: members of a team read its private datasets
    dataset = await datasets.get(session, caller, slug_or_id, directory=directory)
    _reviewer(caller)
    if await _owns(caller, dataset, directory):
        raise Forbidden("You cannot review your own dataset.", code="own_dataset")
    paid = await has_paid_for(caller, dataset, auth_client) if auth_client is not None else False
    await repository.lock_dataset(session, dataset.id)
    review = await repository.of_user(session, dataset.id, caller.user_id)
    created = review is None
    before = (
        {}
        if review is None
        else {"rating": review.rating, "title": review.title, "comment": review.comment}
    )
    if review is None:
        review = Review(dataset_id=dataset.id, user_id=caller.user_id, rating=body.rating)
    review.rating = body.rating
    review.title = body.title
    review.comment = body.comment
    review.verified_purchase = paid
    review.updated_at = utcnow()
    await repository.save(session, review)
    await repository.recount(session, dataset.id)
    after = {"rating": body.rating, "title": body.title, "comment": body.comment}
    changes = after if created else diff(before, after)
    if changes:
        await audit.record(
            session,
            ctx,
            caller,
            "review.create" if created else "review.update",
            resource_type="review",
            resource_id=review.id,
            dataset_id=dataset.id,
            changes=changes,
        )
    return ReviewOut.model_validate(review), created


async def delete_mine(
    session: AsyncSession,
    caller: Caller,
    slug_or_id: str,
    directory: OwnerDirectory | None = None,
) -> None:
    dataset = await datasets.get(session, caller, slug_or_id, directory=directory)
    await repository.lock_dataset(session, dataset.id)
    review = await repository.of_user(session, dataset.id, caller.user_id)
    if review is None:
        raise _review_not_found()
    await repository.remove(session, review)
    await repository.recount(session, dataset.id)


async def list_reviews(
    session: AsyncSession,
    caller: Caller | None,
    slug_or_id: str,
    params: PageParams,
    directory: OwnerDirectory | None = None,
) -> Page[ReviewOut]:
    dataset = await datasets.get(session, caller, slug_or_id, directory=directory)
    rows = await repository.list_page(session, dataset.id, params.limit, params.offset)
    total = await repository.count(session, dataset.id)
    return Page[ReviewOut].build([ReviewOut.model_validate(row) for row in rows], total, params)


async def mark_helpful(
    session: AsyncSession,
    caller: Caller,
    review_id: str,
    directory: OwnerDirectory | None = None,
) -> ReviewOut:
    """One vote per user; a second is a no-op. 404 when the review's dataset is not visible."""
    review = await repository.get(session, review_id)
    if review is None:
        raise _review_not_found()
    try:
        await datasets.get(session, caller, review.dataset_id, directory=directory)
    except NotFound:
        raise _review_not_found() from None
    _reviewer(caller)
    if review.user_id == caller.user_id:
        raise Forbidden("You cannot vote for your own review.", code="own_review")
    if await repository.add_vote(session, review.id, caller.user_id):
        await repository.recount_votes(session, review.id)
    return ReviewOut.model_validate(review)
