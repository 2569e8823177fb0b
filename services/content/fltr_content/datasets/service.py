"""The rules of the datasets domain: slugs, who may do what (through ``policy``), cursors.

Raises ``fltr_shared.errors``; never commits (the request's session does).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content import audit
from fltr_content.audit.context import RequestContext
from fltr_content.audit.service import diff, snapshot
from fltr_content.callers.resolver import Caller
from fltr_content.datasets import policy, repository
from fltr_content.datasets.directory import OwnerDirectory
from fltr_content.datasets.models import Dataset
from fltr_content.datasets.repository import SlugTaken
from fltr_content.datasets.schemas import (
    DatasetCreate,
    DatasetList,
    DatasetOut,
    DatasetUpdate,
    ListingFilters,
    OwnerOut,
)
from fltr_content.plans.limits import PlanLimits
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


async def _owner_of_new(
    caller: Caller, body: DatasetCreate, directory: OwnerDirectory | None
) -> tuple[str, str]:
    if not policy.can_create(caller):
        raise Forbidden("Creating a dataset needs the write scope.", code="insufficient_scope")
    if body.team_id is None:
        return caller.owner_type, caller.user_id
    if caller.owner_type == "team" and caller.user_id == body.team_id:
        return "team", body.team_id  # the team's own key
    role = await directory.role_in(body.team_id, caller.user_id) if directory else None
    if not policy.can_create_for_team(caller, role):
        raise Forbidden(
            "Only an owner or admin of the team may create its datasets.", code="not_team_admin"
        )
    return "team", body.team_id


async def create(
    session: AsyncSession,
    caller: Caller,
    body: DatasetCreate,
    *,
    directory: OwnerDirectory | None = None,
    ctx: RequestContext | None = None,
    limits: PlanLimits | None = None,
) -> DatasetOut:
    owner_type, owner_id = await _owner_of_new(caller, body, directory)
    if limits is not None:
        await limits.check_new_dataset(session, owner_type, owner_id)
    values = body.model_dump(exclude={"slug", "metadata", "tags", "team_id"})
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
            owner_id=owner_id,
            owner_type=owner_type,
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
        await audit.record(
            session,
            ctx,
            caller,
            "dataset.create",
            resource_type="dataset",
            resource_id=dataset.id,
            dataset_id=dataset.id,
            changes=snapshot(
                {**values, "slug": slug, "owner_type": owner_type, "owner_id": owner_id}
            ),
        )
        return (await _page(session, [dataset], directory, {dataset.id: names}))[0]
    raise AssertionError("unreachable")


def _out(dataset: Dataset, tag_names: list[str], owner: OwnerOut | None = None) -> DatasetOut:
    return DatasetOut.model_validate(dataset).model_copy(update={"tags": tag_names, "owner": owner})


async def _page(
    session: AsyncSession,
    rows: Sequence[Dataset],
    directory: OwnerDirectory | None,
    names: Mapping[str, list[str]] | None = None,
) -> list[DatasetOut]:
    """Responses for a page of datasets: their tags in one query, their owners' profiles in
    one call to the auth service (none when no directory is given)."""
    if names is None:
        names = await tags.names_by_dataset(session, [row.id for row in rows])
    owners = (
        await directory.profiles((row.owner_type, row.owner_id) for row in rows)
        if directory is not None
        else None
    )
    out = []
    for row in rows:
        owner = None
        if owners is not None:
            profile = owners.get((row.owner_type, row.owner_id), {})
            owner = OwnerOut(
                id=row.owner_id,
                type="team" if row.owner_type == "team" else "user",
                name=profile.get("name"),
                username=profile.get("username"),
                image=profile.get("image"),
            )
        out.append(_out(row, names[row.id], owner))
    return out


async def _with_tags(
    session: AsyncSession, dataset: Dataset, directory: OwnerDirectory | None = None
) -> DatasetOut:
    return (await _page(session, [dataset], directory))[0]


async def caller_teams(
    directory: OwnerDirectory | None, caller: Caller | None, dataset: Dataset | None = None
) -> Mapping[str, str]:
    """The caller's team roles, asked only when they can matter."""
    if directory is None or caller is None or caller.is_admin:
        return policy.NO_TEAMS
    if dataset is not None and dataset.owner_type != "team":
        return policy.NO_TEAMS
    return await directory.teams_of(caller)


async def readable(
    session: AsyncSession,
    caller: Caller | None,
    slug_or_id: str,
    directory: OwnerDirectory | None = None,
) -> Dataset:
    """The live dataset, if the caller may see it; 404 ``dataset_not_found`` otherwise."""
    dataset = await repository.get_live(session, slug_or_id)
    if dataset is None:
        raise _not_found()
    teams = await caller_teams(directory, caller, dataset)
    if not policy.can_read(caller, dataset, teams):
        raise _not_found()
    return dataset


async def get(
    session: AsyncSession,
    caller: Caller | None,
    slug_or_id: str,
    *,
    directory: OwnerDirectory | None = None,
) -> DatasetOut:
    return await _with_tags(
        session, await readable(session, caller, slug_or_id, directory), directory
    )


async def editable(
    session: AsyncSession,
    caller: Caller,
    slug_or_id: str,
    directory: OwnerDirectory | None = None,
) -> Dataset:
    """The live dataset, if the caller may change it: 404 when it may not even see it, 403
    when it sees but may not change it."""
    dataset = await readable(session, caller, slug_or_id, directory)
    teams = await caller_teams(directory, caller, dataset)
    if not policy.can_edit(caller, dataset, teams):
        if not caller.has_scope("write"):
            # an editor's read-only key: the key, not the person, lacks the right
            raise Forbidden(
                "Changes need an API key with the write scope.", code="insufficient_scope"
            )
        raise Forbidden("Only the dataset's owner, its team's admins or an admin may change it.")
    return dataset


async def update(
    session: AsyncSession,
    caller: Caller,
    slug_or_id: str,
    body: DatasetUpdate,
    *,
    directory: OwnerDirectory | None = None,
    ctx: RequestContext | None = None,
) -> DatasetOut:
    dataset = await editable(session, caller, slug_or_id, directory)
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
    before = {field: getattr(dataset, field) for field in changes}
    old_tags = (await tags.names_by_dataset(session, [dataset.id]))[dataset.id]
    for field, value in changes.items():
        setattr(dataset, field, value)
    dataset.updated_at = utcnow()
    try:
        await repository.save(session, dataset)
    except SlugTaken:
        raise _taken(str(changes.get("slug"))) from None
    names = old_tags
    if new_tags is not None:
        names = await tags.set_dataset_tags(session, dataset.id, new_tags)
    changed = diff({**before, "tags": old_tags}, {**changes, "tags": names})
    if changed:
        await audit.record(
            session,
            ctx,
            caller,
            "dataset.update",
            resource_type="dataset",
            resource_id=dataset.id,
            dataset_id=dataset.id,
            changes=changed,
        )
    return (await _page(session, [dataset], directory, {dataset.id: names}))[0]


async def delete(
    session: AsyncSession,
    caller: Caller,
    slug_or_id: str,
    *,
    directory: OwnerDirectory | None = None,
    ctx: RequestContext | None = None,
) -> None:
    """Soft delete: the row stays (with its slug) and every read answers 404; it can be
    restored for ``DATASET_DELETE_GRACE_DAYS``, then the purge removes it for good."""
    dataset = await editable(session, caller, slug_or_id, directory)
    dataset.deleted_at = utcnow()
    await repository.save(session, dataset)
    await tags.release_dataset(session, dataset.id)
    await audit.record(
        session,
        ctx,
        caller,
        "dataset.delete",
        resource_type="dataset",
        resource_id=dataset.id,
        dataset_id=dataset.id,
        changes={"deleted_at": {"before": None, "after": dataset.deleted_at.isoformat()}},
    )


async def restore(
    session: AsyncSession,
    caller: Caller,
    slug_or_id: str,
    *,
    grace_days: int,
    directory: OwnerDirectory | None = None,
    ctx: RequestContext | None = None,
) -> DatasetOut:
    """Undo a soft delete within the grace period. Someone who could not have deleted it
    (or cannot see it) is told 404, as is a dataset past its grace period."""
    dataset = await repository.get_deleted(session, slug_or_id)
    if dataset is None or dataset.deleted_at is None:
        raise _not_found()
    teams = await caller_teams(directory, caller, dataset)
    if not policy.can_read(caller, dataset, teams) or not policy.can_restore(
        caller, dataset, teams
    ):
        raise _not_found()
    if dataset.deleted_at + timedelta(days=grace_days) <= utcnow():
        raise NotFound(
            "The grace period of this deleted dataset is over.", code="dataset_not_found"
        )
    deleted_at = dataset.deleted_at
    dataset.deleted_at = None
    dataset.updated_at = utcnow()
    await repository.save(session, dataset)
    await tags.restore_dataset(session, dataset.id)
    await audit.record(
        session,
        ctx,
        caller,
        "dataset.restore",
        resource_type="dataset",
        resource_id=dataset.id,
        dataset_id=dataset.id,
        changes={"deleted_at": {"before": deleted_at.isoformat(), "after": None}},
    )
    return await _with_tags(session, dataset, directory)


async def browse(
    session: AsyncSession,
    caller: Caller | None,
    filters: ListingFilters,
    *,
    sort: str,
    limit: int,
    cursor: str | None,
    offset: int | None,
    directory: OwnerDirectory | None = None,
) -> DatasetList:
    if cursor is not None and offset is not None:
        raise BadRequest("Send either cursor or offset, not both.", code="invalid_cursor")
    after = decode_cursor(cursor, sort) if cursor is not None else None
    scope = policy.listing_scope(caller, await caller_teams(directory, caller))
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
    return DatasetList(
        items=await _page(session, rows, directory),
        next_cursor=next_cursor,
        total=total,
        limit=limit,
        offset=offset,
    )
