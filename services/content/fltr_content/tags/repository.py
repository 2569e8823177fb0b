"""All SQL of the tags domain."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Select, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content.tags.models import DatasetTag, Tag


async def by_slugs(session: AsyncSession, slugs: Iterable[str]) -> list[Tag]:
    wanted = list(slugs)
    if not wanted:
        return []
    return list(await session.scalars(select(Tag).where(Tag.slug.in_(wanted))))


async def insert_if_absent(session: AsyncSession, name: str, slug: str) -> None:
    """Insert in a savepoint; a concurrent insert of the same tag is not an error."""
    try:
        async with session.begin_nested():
            session.add(Tag(name=name, slug=slug))
            await session.flush()
    except IntegrityError:
        pass


async def tag_ids_of(session: AsyncSession, dataset_id: str) -> set[str]:
    rows = await session.scalars(
        select(DatasetTag.tag_id).where(DatasetTag.dataset_id == dataset_id)
    )
    return set(rows)


async def link(session: AsyncSession, dataset_id: str, tag_ids: Iterable[str]) -> None:
    session.add_all(DatasetTag(dataset_id=dataset_id, tag_id=tag_id) for tag_id in tag_ids)
    await session.flush()


async def unlink(session: AsyncSession, dataset_id: str, tag_ids: Iterable[str]) -> None:
    ids = list(tag_ids)
    if ids:
        await session.execute(
            delete(DatasetTag).where(
                DatasetTag.dataset_id == dataset_id, DatasetTag.tag_id.in_(ids)
            )
        )


async def add_usage(session: AsyncSession, tag_ids: Iterable[str], delta: int) -> None:
    """One statement: ``UPDATE tags SET usage_count = usage_count + delta WHERE id IN (...)``."""
    ids = list(tag_ids)
    if ids:
        await session.execute(
            update(Tag)
            .where(Tag.id.in_(ids))
            .values(usage_count=Tag.usage_count + delta)
            .execution_options(synchronize_session=False)
        )


async def names_by_dataset(
    session: AsyncSession, dataset_ids: Iterable[str]
) -> dict[str, list[str]]:
    ids = list(dataset_ids)
    found: dict[str, list[str]] = {dataset_id: [] for dataset_id in ids}
    if not ids:
        return found
    rows = await session.execute(
        select(DatasetTag.dataset_id, Tag.name)
        .join(Tag, Tag.id == DatasetTag.tag_id)
        .where(DatasetTag.dataset_id.in_(ids))
        .order_by(Tag.name)
    )
    for dataset_id, name in rows:
        found[dataset_id].append(name)
    return found


def dataset_ids_tagged(slug: str) -> Select[str]:
    return (
        select(DatasetTag.dataset_id).join(Tag, Tag.id == DatasetTag.tag_id).where(Tag.slug == slug)
    )


def _matching(q: str | None) -> list[ColumnElement[bool]]:
    if not q:
        return []
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return [or_(Tag.name.like(pattern, escape="\\"), Tag.slug.like(pattern, escape="\\"))]


async def list_page(session: AsyncSession, q: str | None, limit: int, offset: int) -> list[Tag]:
    rows = await session.scalars(
        select(Tag)
        .where(*_matching(q))
        .order_by(Tag.usage_count.desc(), Tag.name, Tag.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows)


async def count(session: AsyncSession, q: str | None) -> int:
    total = await session.scalar(select(func.count()).select_from(Tag).where(*_matching(q)))
    return int(total or 0)
