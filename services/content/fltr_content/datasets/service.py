"""The rules of the datasets domain: slugs, who may do what (through ``policy``), cursors.

Raises ``fltr_shared.errors``; never commits (the request's session does).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content.callers.resolver import Caller
from fltr_content.datasets import policy, repository
from fltr_content.datasets.models import Dataset
from fltr_content.datasets.repository import SlugTaken
from fltr_content.datasets.schemas import (
    DatasetCreate,
    DatasetList,
    DatasetOut,
    DatasetUpdate,
    ListingFilters,
)
from fltr_content.tags import service as tags
from fltr_content.versions import service as versions
from fltr_shared.db import utcnow
from fltr_shared.errors import BadRequest, Conflict, Forbidden, NotFound

MAX_SLUG_LENGTH = 100
_GENERATED_SLUG_ATTEMPTS = 5
_NULLABLE_FIELDS = frozenset(
    {
        "price_cents",
        "price_monthly_cents",
        "price_annual_cents",
        "embedding_model",
        "embedding_dimension",
    }
)


def slugify(name: str) -> str:
    """Lowercase ASCII words joined by ``-`` (accents dropped); ``dataset`` if none are left."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    slug = slug[: MAX_SLUG_LENGTH - 8].strip("-")  # room for a "-NNN" suffix
    return slug or "dataset"


def _first_free(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _not_found() -> NotFound:
    return NotFound("No such dataset.", code="dataset_not_found")


def _taken(slug: str) -> Conflict:
    return Conflict(f"The slug {slug!r} is taken.", code="slug_taken")


def encode_cursor(key: Any, dataset_id: str) -> str:
    raw = json.dumps([key, dataset_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[Any, str]:
    """The (sort key, id) a cursor carries; 400 ``invalid_cursor`` for anything else."""
    invalid = BadRequest("The cursor is not one this listing gave out.", code="invalid_cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key, dataset_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        raise invalid from None
    if not isinstance(dataset_id, str):
        raise invalid
    if sort == "newest":
        if not isinstance(key, str):
            raise invalid
        try:
            parsed = datetime.fromisoformat(key)
        except ValueError:
            raise invalid from None
        if parsed.tzinfo is None:
            raise invalid
        return parsed, dataset_id
    if sort == "rating" and isinstance(key, int | float) and not isinstance(key, bool):
        return float(key), dataset_id
    if sort == "popularity" and isinstance(key, int) and not isinstance(key, bool):
        return key, dataset_id
    raise invalid


async def create(session: AsyncSession, caller: Caller, body: DatasetCreate) -> DatasetOut:
    if not policy.can_create(caller):
        raise Forbidden("Creating a dataset needs the write scope.")
    values = body.model_dump(exclude={"slug", "metadata", "tags"})
    for attempt in range(_GENERATED_SLUG_ATTEMPTS):
        if body.slug is not None:
            slug = body.slug
        else:
            base = slugify(body.name)
            slug = _first_free(base, await repository.slugs_like(session, base))
        dataset = Dataset(
            **values,
            slug=slug,
            metadata_=body.metadata,
            owner_id=caller.user_id,
            owner_type=caller.owner_type,
            status="uploading",
        )
        try:
            await repository.insert(session, dataset)
        except SlugTaken:
            # an explicit slug is the caller's to change; a generated one lost a race: retry
            if body.slug is not None or attempt == _GENERATED_SLUG_ATTEMPTS - 1:
                raise _taken(slug) from None
            continue
        await versions.create_working_copy(session, dataset, created_by=caller.user_id)
        names = await tags.set_dataset_tags(session, dataset.id, body.tags)
        return _out(dataset, names)
    raise AssertionError("unreachable")


def _out(dataset: Dataset, tag_names: list[str]) -> DatasetOut:
    return DatasetOut.model_validate(dataset).model_copy(update={"tags": tag_names})


async def _with_tags(session: AsyncSession, dataset: Dataset) -> DatasetOut:
    names = await tags.names_by_dataset(session, [dataset.id])
    return _out(dataset, names[dataset.id])


async def _readable(session: AsyncSession, caller: Caller | None, slug_or_id: str) -> Dataset:
    dataset = await repository.get_live(session, slug_or_id)
    if dataset is None or not policy.can_read(caller, dataset):
        raise _not_found()
    return dataset


async def get(session: AsyncSession, caller: Caller | None, slug_or_id: str) -> DatasetOut:
    return await _with_tags(session, await _readable(session, caller, slug_or_id))


async def _editable(session: AsyncSession, caller: Caller, slug_or_id: str) -> Dataset:
    dataset = await _readable(session, caller, slug_or_id)
    if not policy.can_edit(caller, dataset):
        raise Forbidden("Only the dataset's owner or an admin may change it.")
    return dataset


async def update(
    session: AsyncSession, caller: Caller, slug_or_id: str, body: DatasetUpdate
) -> DatasetOut:
    dataset = await _editable(session, caller, slug_or_id)
    # null for a field that cannot be empty means "leave it"
    changes = {
        field: value
        for field, value in body.model_dump(exclude_unset=True).items()
        if value is not None or field in _NULLABLE_FIELDS
    }
    new_tags = changes.pop("tags", None)
    admin_fields = policy.ADMIN_ONLY_FIELDS & changes.keys()
    if admin_fields and not policy.can_set_admin_fields(caller):
        raise Forbidden(f"Only admins may set {', '.join(sorted(admin_fields))}.")
    if "metadata" in changes:
        changes["metadata_"] = changes.pop("metadata")
    for field, value in changes.items():
        setattr(dataset, field, value)
    dataset.updated_at = utcnow()
    try:
        await repository.save(session, dataset)
    except SlugTaken:
        raise _taken(str(changes.get("slug"))) from None
    if new_tags is not None:
        return _out(dataset, await tags.set_dataset_tags(session, dataset.id, new_tags))
    return await _with_tags(session, dataset)


async def delete(session: AsyncSession, caller: Caller, slug_or_id: str) -> None:
    """Soft delete: the row stays (with its slug) and every read answers 404."""
    dataset = await _editable(session, caller, slug_or_id)
    dataset.deleted_at = utcnow()
    await repository.save(session, dataset)
    await tags.release_dataset(session, dataset.id)


async def browse(
    session: AsyncSession,
    caller: Caller | None,
    filters: ListingFilters,
    *,
    sort: str,
    limit: int,
    cursor: str | None,
    offset: int | None,
) -> DatasetList:
    if cursor is not None and offset is not None:
        raise BadRequest("Send either cursor or offset, not both.", code="invalid_cursor")
    after = decode_cursor(cursor, sort) if cursor is not None else None
    scope = policy.listing_scope(caller)
    # one row more than asked says whether another page exists
    tagged = tags.dataset_ids_tagged(filters.tag) if filters.tag is not None else None
    rows = await repository.list_page(
        session,
        scope,
        filters,
        sort=sort,
        limit=limit + 1,
        after=after,
        offset=offset,
        tagged=tagged,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = (
        encode_cursor(repository.sort_key(rows[-1], sort), rows[-1].id) if more and rows else None
    )
    total = await repository.count(session, scope, filters, tagged) if offset is not None else None
    names = await tags.names_by_dataset(session, [row.id for row in rows])
    return DatasetList(
        items=[_out(row, names[row.id]) for row in rows],
        next_cursor=next_cursor,
        total=total,
        limit=limit,
        offset=offset,
    )
