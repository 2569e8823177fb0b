"""All SQL of the reviews domain."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content.datasets.models import Dataset
from fltr_content.reviews.models import Review, ReviewVote


async def lock_dataset(session: AsyncSession, dataset_id: str) -> None:
    """``SELECT ... FOR UPDATE`` on the dataset row: review writes on one dataset queue here,
    so each one's recount (a later statement, a fresh snapshot) sees the others' rows."""
    await session.execute(select(Dataset.id).where(Dataset.id == dataset_id).with_for_update())


async def get(session: AsyncSession, review_id: str) -> Review | None:
    return await session.get(Review, review_id)


async def of_user(session: AsyncSession, dataset_id: str, user_id: str) -> Review | None:
    return await session.scalar(
        select(Review).where(Review.dataset_id == dataset_id, Review.user_id == user_id)
    )


async def save(session: AsyncSession, review: Review) -> None:
    session.add(review)
    await session.flush()


async def remove(session: AsyncSession, review: Review) -> None:
    await session.delete(review)
    await session.flush()


async def recount(session: AsyncSession, dataset_id: str) -> None:
    """One statement: the dataset's rating count and average, from the reviews table."""
    mine = Review.dataset_id == dataset_id
    await session.execute(
        update(Dataset)
        .where(Dataset.id == dataset_id)
        .values(
            rating_count=select(func.count()).select_from(Review).where(mine).scalar_subquery(),
            rating_average=select(func.coalesce(func.avg(Review.rating), 0))
            .where(mine)
            .scalar_subquery(),
        )
        .execution_options(synchronize_session=False)
    )


async def add_vote(session: AsyncSession, review_id: str, user_id: str) -> bool:
    """Insert in a savepoint; False when this user had already voted."""
    try:
        async with session.begin_nested():
            session.add(ReviewVote(review_id=review_id, user_id=user_id))
            await session.flush()
    except IntegrityError:
        return False
    return True


async def recount_votes(session: AsyncSession, review_id: str) -> None:
    votes = select(func.count()).select_from(ReviewVote).where(ReviewVote.review_id == review_id)
    await session.execute(
        update(Review)
        .where(Review.id == review_id)
        .values(helpful_count=votes.scalar_subquery())
        .execution_options(synchronize_session=False)
    )
    await session.refresh(await session.get_one(Review, review_id), ["helpful_count"])


async def list_page(
    session: AsyncSession, dataset_id: str, limit: int, offset: int
) -> list[Review]:
    rows = await session.scalars(
        select(Review)
        .where(Review.dataset_id == dataset_id)
        .order_by(Review.created_at.desc(), Review.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows)


async def count(session: AsyncSession, dataset_id: str) -> int:
    total = await session.scalar(
        select(func.count()).select_from(Review).where(Review.dataset_id == dataset_id)
    )
    return int(total or 0)
