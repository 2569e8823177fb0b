"""The rules of the tags domain: tags are created on first use, and ``usage_count`` counts the
non-deleted datasets carrying each tag. Other domains call this module, never the repository.

Never commits (the request's session does): every count change lands in the caller's
transaction, as a single ``UPDATE tags SET usage_count = usage_count +/- 1``.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content.tags import repository
from fltr_content.tags.models import Tag
from fltr_content.tags.schemas import TagOut, normalise_name, tag_slug
from fltr_shared.pagination import Page, PageParams


async def _resolve(session: AsyncSession, names: Iterable[str]) -> list[Tag]:
    """The tags for these names (one per slug), created when missing."""
    wanted: dict[str, str] = {}
    for raw in names:
        name = normalise_name(raw)
        wanted.setdefault(tag_slug(name), name)
    found = {tag.slug: tag for tag in await repository.by_slugs(session, wanted)}
    missing = [slug for slug in wanted if slug not in found]
    if missing:
        for slug in missing:
            await repository.insert_if_absent(session, wanted[slug], slug)
        found.update({tag.slug: tag for tag in await repository.by_slugs(session, missing)})
    return [found[slug] for slug in wanted]


async def set_dataset_tags(
    session: AsyncSession, dataset_id: str, names: Iterable[str]
) -> list[str]:
    """Replace a live dataset's tags with ``names``; returns the tag names, sorted."""
    tags = await _resolve(session, names)
    new_ids = {tag.id for tag in tags}
    old_ids = await repository.tag_ids_of(session, dataset_id)
    removed, added = old_ids - new_ids, new_ids - old_ids
    await repository.unlink(session, dataset_id, removed)
    await repository.link(session, dataset_id, added)
    await repository.add_usage(session, removed, -1)
    await repository.add_usage(session, added, +1)
    return sorted(tag.name for tag in tags)


async def release_dataset(session: AsyncSession, dataset_id: str) -> None:
    """A dataset was soft-deleted: it no longer counts for its tags (the links stay)."""
    await repository.add_usage(session, await repository.tag_ids_of(session, dataset_id), -1)


async def restore_dataset(session: AsyncSession, dataset_id: str) -> None:
    """A soft-deleted dataset came back: it counts for its tags again."""
    await repository.add_usage(session, await repository.tag_ids_of(session, dataset_id), +1)


async def names_by_dataset(
    session: AsyncSession, dataset_ids: Iterable[str]
) -> dict[str, list[str]]:
    """Each dataset's tag names, sorted, in one query for the whole page."""
    return await repository.names_by_dataset(session, dataset_ids)


def dataset_ids_tagged(slug: str) -> Select[str]:
    """A subquery of the ids of datasets carrying the tag with this slug (normalised)."""
    return repository.dataset_ids_tagged(tag_slug(slug))


async def list_tags(session: AsyncSession, q: str | None, params: PageParams) -> Page[TagOut]:
    needle = normalise_name(q) if q else None
    rows = await repository.list_page(session, needle, params.limit, params.offset)
    total = await repository.count(session, needle)
    return Page[TagOut].build([TagOut.model_validate(row) for row in rows], total, params)
