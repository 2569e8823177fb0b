"""All SQL of the datasets domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content.datasets.models import Dataset
from fltr_content.datasets.policy import PUBLIC_LISTING, ListingScope
from fltr_content.datasets.schemas import ListingFilters

# sort name -> (column, its type for the cursor); always descending, ties broken by id
SORT_COLUMNS: dict[str, Any] = {
    "newest": Dataset.created_at,
    "rating": Dataset.rating_average,
    "popularity": Dataset.download_count,
}


class SlugTaken(Exception):
    """The unique slug index refused the row."""


async def get_deleted(session: AsyncSession, slug_or_id: str) -> Dataset | None:
    """The soft-deleted dataset with this slug or id (restore looks here)."""
    return await session.scalar(
        select(Dataset).where(
            or_(Dataset.slug == slug_or_id, Dataset.id == slug_or_id),
            Dataset.deleted_at.is_not(None),
        )
    )


async def get_live(session: AsyncSession, slug_or_id: str) -> Dataset | None:
    """The dataset with this slug or id, unless soft-deleted."""
    return await session.scalar(
        select(Dataset).where(
            or_(Dataset.slug == slug_or_id, Dataset.id == slug_or_id),
            Dataset.deleted_at.is_(None),
        )
    )


async def slugs_like(session: AsyncSession, base: str) -> set[str]:
    """Slugs equal to ``base`` or ``base-<anything>`` (deleted rows included: they keep it)."""
    escaped = base.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = await session.scalars(
        select(Dataset.slug).where(
            or_(Dataset.slug == base, Dataset.slug.like(f"{escaped}-%", escape="\\"))
        )
    )
    return set(rows)


async def insert(session: AsyncSession, dataset: Dataset) -> None:
    """Insert in a savepoint, so a taken slug leaves the request's transaction usable."""
    try:
        async with session.begin_nested():
            session.add(dataset)
            await session.flush()
    except IntegrityError as exc:
        raise SlugTaken from exc


async def save(session: AsyncSession, dataset: Dataset) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise SlugTaken from exc


def _visible(scope: ListingScope) -> ColumnElement[bool] | None:
    if scope.everything:
        return None
    public = Dataset.visibility.in_(PUBLIC_LISTING)
    if scope.owner is None:
        return public
    owner_type, owner_id = scope.owner
    visible = [public, and_(Dataset.owner_type == owner_type, Dataset.owner_id == owner_id)]
    if scope.teams:
        visible.append(and_(Dataset.owner_type == "team", Dataset.owner_id.in_(scope.teams)))
    return or_(*visible)


def _conditions(
    scope: ListingScope, filters: ListingFilters, tagged: Select[str] | None
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Dataset.deleted_at.is_(None)]
    if tagged is not None:
        conditions.append(Dataset.id.in_(tagged))
    visible = _visible(scope)
    if visible is not None:
        conditions.append(visible)
    if scope.allowlist is not None:
        conditions.append(or_(Dataset.id.in_(scope.allowlist), Dataset.slug.in_(scope.allowlist)))
    if filters.category is not None:
        conditions.append(Dataset.category == filters.category)
    if filters.visibility is not None:
        conditions.append(Dataset.visibility == filters.visibility)
    if filters.owner_id is not None:
        conditions.append(Dataset.owner_id == filters.owner_id)
    if filters.featured is not None:
        conditions.append(Dataset.is_featured == filters.featured)
    if filters.verified is not None:
        conditions.append(Dataset.is_verified == filters.verified)
    if filters.q:
        escaped = filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        # ILIKE on the bare columns: what the trigram indexes of migration 0006 serve
        conditions.append(
            or_(
                Dataset.name.ilike(pattern, escape="\\"),
                Dataset.description.ilike(pattern, escape="\\"),
            )
        )
    return conditions


async def list_page(
    session: AsyncSession,
    scope: ListingScope,
    filters: ListingFilters,
    *,
    sort: str,
    limit: int,
    after: tuple[Any, str] | None = None,
    offset: int | None = None,
    tagged: Select[str] | None = None,
) -> list[Dataset]:
    """Up to ``limit`` rows in ``sort`` order (descending, then id), after the cursor's key
    or from ``offset``. ``tagged``: a subquery of dataset ids (the tag filter)."""
    column = SORT_COLUMNS[sort]
    conditions = _conditions(scope, filters, tagged)
    if after is not None:
        key, last_id = after
        conditions.append(or_(column < key, and_(column == key, Dataset.id < last_id)))
    query = select(Dataset).where(*conditions).order_by(column.desc(), Dataset.id.desc())
    if offset:
        query = query.offset(offset)
    rows = await session.scalars(query.limit(limit))
    return list(rows)


async def count(
    session: AsyncSession,
    scope: ListingScope,
    filters: ListingFilters,
    tagged: Select[str] | None = None,
) -> int:
    total = await session.scalar(
        select(func.count()).select_from(Dataset).where(*_conditions(scope, filters, tagged))
    )
    return int(total or 0)


def sort_key(dataset: Dataset, sort: str) -> Any:
    value = getattr(dataset, SORT_COLUMNS[sort].key)
    return value.isoformat() if isinstance(value, datetime) else value
