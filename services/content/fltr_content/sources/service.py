"""The rules of the sources domain: readers of a dataset may list its sources, editors
change them; a ``url`` source always has an http(s) URL. Every change is audited. Never
commits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content import audit
from fltr_content.audit.context import RequestContext
from fltr_content.audit.service import diff, snapshot
from fltr_content.callers.resolver import Caller
from fltr_content.datasets import service as datasets
from fltr_content.datasets.directory import OwnerDirectory
from fltr_content.sources import repository
from fltr_content.sources.models import DatasetSource
from fltr_content.sources.schemas import SourceCreate, SourceOut, SourceUpdate
from fltr_shared.db import utcnow
from fltr_shared.errors import NotFound, ValidationFailed
from fltr_shared.pagination import Page, PageParams

_NULLABLE = frozenset({"url", "file_path", "size_bytes", "last_synced_at"})


def _not_found() -> NotFound:
    return NotFound("No such source.", code="source_not_found")


async def list_sources(
    session: AsyncSession,
    caller: Caller | None,
    slug_or_id: str,
    params: PageParams,
    directory: OwnerDirectory | None = None,
) -> Page[SourceOut]:
    dataset = await datasets.readable(session, caller, slug_or_id, directory)
    rows = await repository.list_page(session, dataset.id, params.limit, params.offset)
    total = await repository.count(session, dataset.id)
    return Page[SourceOut].build([SourceOut.model_validate(r) for r in rows], total, params)


async def get_source(
    session: AsyncSession,
    caller: Caller | None,
    slug_or_id: str,
    source_id: str,
    directory: OwnerDirectory | None = None,
) -> SourceOut:
    dataset = await datasets.readable(session, caller, slug_or_id, directory)
    source = await repository.get(session, dataset.id, source_id)
    if source is None:
        raise _not_found()
    return SourceOut.model_validate(source)


async def create_source(
    session: AsyncSession,
    caller: Caller,
    slug_or_id: str,
    body: SourceCreate,
    *,
    directory: OwnerDirectory | None = None,
    ctx: RequestContext | None = None,
) -> SourceOut:
    dataset = await datasets.editable(session, caller, slug_or_id, directory)
    values = body.model_dump(exclude={"type", "metadata"})
    source = DatasetSource(
        dataset_id=dataset.id, source_type=body.type, metadata_=body.metadata, **values
    )
    await repository.add(session, source)
    await audit.record(
        session,
        ctx,
        caller,
        "source.create",
        resource_type="dataset_source",
        resource_id=source.id,
        dataset_id=dataset.id,
        changes=snapshot({"type": body.type, **values}),
    )
    return SourceOut.model_validate(source)


async def update_source(
    session: AsyncSession,
    caller: Caller,
    slug_or_id: str,
    source_id: str,
    body: SourceUpdate,
    *,
    directory: OwnerDirectory | None = None,
    ctx: RequestContext | None = None,
) -> SourceOut:
    dataset = await datasets.editable(session, caller, slug_or_id, directory)
    source = await repository.get(session, dataset.id, source_id)
    if source is None:
        raise _not_found()
    changes = {
        field: value
        for field, value in body.model_dump(exclude_unset=True).items()
        if value is not None or field in _NULLABLE
    }
    if "metadata" in changes:
        changes["metadata_"] = changes.pop("metadata")
    url = changes.get("url", source.url)
    if source.source_type == "url" and url is None:
        raise ValidationFailed(
            "A url source needs a url.",
            fields=[{"loc": ["body", "url"], "msg": "required for url sources", "type": "missing"}],
        )
    before = {field: getattr(source, field) for field in changes}
    for field, value in changes.items():
        setattr(source, field, value)
    source.updated_at = utcnow()
    await repository.save(session)
    changed = diff(before, changes)
    if changed:
        await audit.record(
            session,
            ctx,
            caller,
            "source.update",
            resource_type="dataset_source",
            resource_id=source.id,
            dataset_id=dataset.id,
            changes=changed,
        )
    return SourceOut.model_validate(source)


async def delete_source(
    session: AsyncSession,
    caller: Caller,
    slug_or_id: str,
    source_id: str,
    *,
    directory: OwnerDirectory | None = None,
    ctx: RequestContext | None = None,
) -> None:
    dataset = await datasets.editable(session, caller, slug_or_id, directory)
    source = await repository.get(session, dataset.id, source_id)
    if source is None:
        raise _not_found()
    await repository.remove(session, source)
    await audit.record(
        session,
        ctx,
        caller,
        "source.delete",
        resource_type="dataset_source",
        resource_id=source_id,
        dataset_id=dataset.id,
        changes={"name": source.name, "type": source.source_type},
    )
