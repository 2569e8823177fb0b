"""Publishing a dataset's working copy as a frozen version, and choosing the active version.

Publishing ``1.1.0``: a ``dataset_versions`` row (``publishing``) with a new collection,
``version_documents`` frozen from the live ready documents, then every chunk of the working
copy's collection copied into the new collection. A working copy of at most
``PUBLISH_INLINE_MAX_CHUNKS`` chunks is copied within the request (201); a larger one becomes
a ``publish`` job (202) that a job runner finishes with ``run_publish``. Once copied the
version is ``published`` and becomes the dataset's active version. Nothing writes to a
published collection again, so callers pinned to ``slug@1.1.0`` keep their answers.

Who may: editors (``datasets.policy.can_edit``); readers may list and read versions. Never
commits, except ``run_publish_job`` (a runner's entry point, which owns its transactions).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content import audit
from fltr_content.audit.context import RequestContext
from fltr_content.callers.resolver import Caller
from fltr_content.datasets import service as datasets
from fltr_content.datasets.directory import OwnerDirectory
from fltr_content.datasets.models import Dataset
from fltr_content.jobs.models import ProcessingJob
from fltr_content.vectors.chunks import ChunkStore
from fltr_content.versions import repository, service
from fltr_content.versions.models import (
    DRAFT_LABEL,
    DatasetVersion,
    collection_name,
    new_version_id,
)
from fltr_content.versions.schemas import ActiveVersionIn, PublishIn, VersionOut
from fltr_shared.db import utcnow
from fltr_shared.errors import Conflict, NotFound
from fltr_shared.pagination import Page, PageParams

if TYPE_CHECKING:
    from fltr_content.processing.context import JobContext

log = structlog.get_logger(__name__)

DEFAULT_DIMENSION = 384  # the default embedder's (all-MiniLM-L6-v2)


def _version_not_found(label: str) -> NotFound:
    return NotFound(f"The dataset has no version {label!r}.", code="version_not_found")


def _out(version: DatasetVersion, dataset: Dataset, job_id: str | None = None) -> VersionOut:
    active = dataset.active_version_id == version.id or (
        dataset.active_version_id is None and version.status == "draft"
    )
    return VersionOut.model_validate(version).model_copy(
        update={"is_active": active, "job_id": job_id}
    )


async def list_versions(
    session: AsyncSession,
    caller: Caller | None,
    slug_or_id: str,
    params: PageParams,
    directory: OwnerDirectory | None = None,
) -> Page[VersionOut]:
    """The published (and publishing, failed) versions, newest first."""
    dataset = await datasets.readable(session, caller, slug_or_id, directory)
    rows = await repository.published_page(session, dataset.id, params.limit, params.offset)
    total = await repository.count_published(session, dataset.id)
    return Page[VersionOut].build([_out(row, dataset) for row in rows], total, params)


async def get_version(
    session: AsyncSession,
    caller: Caller | None,
    slug_or_id: str,
    label: str,
    directory: OwnerDirectory | None = None,
) -> VersionOut:
    dataset = await datasets.readable(session, caller, slug_or_id, directory)
    if label in service.WORKING_COPY_ALIASES:
        return _out(await service.working_copy(session, dataset), dataset)
    version = await repository.by_label(session, dataset.id, label)
    if version is None:
        raise _version_not_found(label)
    return _out(version, dataset)


async def publish(
    session: AsyncSession,
    chunks: ChunkStore,
    caller: Caller,
    slug_or_id: str,
    body: PublishIn,
    *,
    inline_max_chunks: int,
    directory: OwnerDirectory | None = None,
    ctx: RequestContext | None = None,
) -> tuple[VersionOut, bool]:
    """Publish the working copy as ``body.version``; returns it and whether it is done
    (False: a ``publish`` job finishes it)."""
    dataset = await datasets.editable(session, caller, slug_or_id, directory)
    await repository.lock_dataset(session, dataset.id)
    if await repository.by_label(session, dataset.id, body.version) is not None:
        raise Conflict(f"Version {body.version} exists already.", code="version_exists")
    working = await service.working_copy(session, dataset)
    dimension = dataset.embedding_dimension or DEFAULT_DIMENSION
    if await chunks.exists(working.collection_name):
        pending = await chunks.count(working.collection_name)
    else:
        # nothing uploaded yet: an empty version is allowed
        await chunks.ensure_collection(working.collection_name, dimension)
        pending = 0
    version_id = new_version_id()
    version = DatasetVersion(
        id=version_id,
        dataset_id=dataset.id,
        version=body.version,
        status="publishing",
        changelog=body.changelog,
        collection_name=collection_name(dataset.id, version_id),
        created_by=caller.user_id,
    )
    await repository.add(session, version)
    version.document_count = await repository.snapshot_documents(session, dataset.id, version.id)
    await audit.record(
        session,
        ctx,
        caller,
        "version.publish",
        resource_type="dataset_version",
        resource_id=version.id,
        dataset_id=dataset.id,
        changes={"version": body.version, "changelog": body.changelog, "chunks": pending},
    )
    job = ProcessingJob(
        kind="publish",
        dataset_id=dataset.id,
        version_id=version.id,
        state="queued",
        stage="copy",
        progress_total=pending,
        params={"source": working.collection_name, "dimension": dimension},
        created_by=caller.user_id,
    )
    if pending > inline_max_chunks:
        await repository.add_job(session, job)
        return _out(version, dataset, job.id), False
    await _copy_and_finish(session, chunks, dataset, version, working.collection_name, dimension)
    return _out(version, dataset), True


async def _copy_and_finish(
    session: AsyncSession,
    chunks: ChunkStore,
    dataset: Dataset,
    version: DatasetVersion,
    source: str,
    dimension: int,
    job: ProcessingJob | None = None,
) -> None:
    async def progress(copied: int) -> None:
        if job is not None:
            job.progress_done = copied
            job.updated_at = utcnow()

    # an empty source is not iterated (Milvus Lite's query iterator fails on it)
    if await chunks.exists(source) and await chunks.count(source) > 0:
        copied = await chunks.copy(source, version.collection_name, dimension, on_progress=progress)
    else:
        await chunks.ensure_collection(version.collection_name, dimension)
        copied = 0
    now = utcnow()
    version.chunk_count = copied
    version.status = "published"
    version.published_at = now
    dataset.active_version_id = version.id
    dataset.updated_at = now
    await session.flush()


async def run_publish(session: AsyncSession, chunks: ChunkStore, job: ProcessingJob) -> None:
    """Finish a ``publish`` job: copy the working collection into the version's and mark it
    published and active. Safe to run again after a crash (the copy upserts by chunk id)."""
    version = await repository.by_id(session, job.version_id or "")
    dataset = await session.get(Dataset, job.dataset_id)
    if version is None or dataset is None or version.status == "published":
        job.state, job.stage, job.finished_at = "succeeded", "done", utcnow()
        return
    await repository.lock_dataset(session, dataset.id)
    source = str(
        job.params.get("source") or (await service.working_copy(session, dataset)).collection_name
    )
    dimension = int(job.params.get("dimension") or dataset.embedding_dimension or DEFAULT_DIMENSION)
    version.status = "publishing"
    await _copy_and_finish(session, chunks, dataset, version, source, dimension, job)
    now = utcnow()
    job.state, job.stage, job.finished_at, job.updated_at = "succeeded", "done", now, now
    job.progress_done = version.chunk_count


async def run_publish_job(ctx: JobContext, job_id: str) -> None:
    """The job runner's entry point (``processing.runner``): one transaction for the copy;
    on failure the version is marked ``failed`` and the error goes back to the runner,
    which retries or gives up."""
    try:
        async with ctx.db.transaction() as session:
            job = await repository.job(session, job_id)
            if job is None:
                return
            await run_publish(session, ctx.chunks, job)
    except Exception:
        async with ctx.db.transaction() as session:
            job = await repository.job(session, job_id)
            version = await repository.by_id(session, job.version_id or "") if job else None
            if version is not None and version.status != "published":
                version.status = "failed"
        raise


async def set_active(
    session: AsyncSession,
    caller: Caller,
    slug_or_id: str,
    body: ActiveVersionIn,
    *,
    directory: OwnerDirectory | None = None,
    ctx: RequestContext | None = None,
) -> VersionOut:
    """Which version unpinned readers get: a published one, or the working copy."""
    dataset = await datasets.editable(session, caller, slug_or_id, directory)
    await repository.lock_dataset(session, dataset.id)
    before = dataset.active_version_id
    if body.version is None or body.version in service.WORKING_COPY_ALIASES:
        version = await service.working_copy(session, dataset)
        dataset.active_version_id = None
    else:
        found = await repository.by_label(session, dataset.id, body.version)
        if found is None or found.status != "published":
            raise NotFound(
                f"The dataset has no published version {body.version!r}.",
                code="version_not_found",
            )
        version = found
        dataset.active_version_id = version.id
    dataset.updated_at = utcnow()
    await session.flush()
    if before != dataset.active_version_id:
        await audit.record(
            session,
            ctx,
            caller,
            "version.activate",
            resource_type="dataset_version",
            resource_id=version.id,
            dataset_id=dataset.id,
            changes={
                "active_version_id": {"before": before, "after": dataset.active_version_id},
                "version": version.version if version.status != "draft" else DRAFT_LABEL,
            },
        )
    return _out(version, dataset)
