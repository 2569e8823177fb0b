"""Scheduled sync of ``url`` sources: each due source is fetched again and re-indexed only
when its bytes changed (same sha256: nothing is re-processed or charged).

A changed page becomes a new document (a normal ingest job, paid by the dataset's owner like
an upload) and the source's previous document is removed from the working copy. Runs every
SOURCE_SYNC_INTERVAL_SECONDS in-process, or from Celery beat in Celery mode.
"""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import structlog
from sqlalchemy import select

from fltr_content.callers.resolver import Caller
from fltr_content.datasets.models import Dataset
from fltr_content.documents import repository as documents
from fltr_content.documents import service as uploads
from fltr_content.documents.models import Document
from fltr_content.documents.remote import fetch_to_file
from fltr_content.processing.context import JobContext
from fltr_content.sources.models import DatasetSource
from fltr_content.versions import service as versions
from fltr_shared.db import utcnow

logger = structlog.get_logger(__name__)

PERIODS = {
    "daily": timedelta(days=1),
    "weekly": timedelta(days=7),
    "monthly": timedelta(days=30),
}


def is_due(source: DatasetSource, now: datetime) -> bool:
    period = PERIODS.get(source.sync_frequency)
    if period is None or not source.is_active or source.source_type != "url" or not source.url:
        return False
    return source.last_synced_at is None or source.last_synced_at + period <= now


def _owner(dataset: Dataset) -> Caller:
    """The dataset's owner, as the caller a scheduled sync acts for (and charges)."""
    return Caller(
        user_id=dataset.owner_id,
        email="",
        name="scheduled sync",
        role="user",
        email_verified=True,
        credential="session",
        owner_type="team" if dataset.owner_type == "team" else "user",
    )


async def sync_due_sources(ctx: JobContext, now: datetime | None = None) -> list[str]:
    """Sync every due source; returns the ids of jobs started (the caller submits them)."""
    now = now or utcnow()
    async with ctx.db.transaction() as session:
        rows = await session.scalars(
            select(DatasetSource).where(
                DatasetSource.source_type == "url",
                DatasetSource.is_active.is_(True),
                DatasetSource.sync_frequency != "manual",
            )
        )
        due = [(s.id, s.dataset_id, s.url) for s in rows if is_due(s, now)]
    started: list[str] = []
    for source_id, dataset_id, url in due:
        try:
            started += await _sync_one(ctx, source_id, dataset_id, str(url), now)
        except Exception as exc:  # one broken source must not stop the others
            logger.warning("source_sync_failed", source_id=source_id, error=repr(exc))
    return started


async def _sync_one(
    ctx: JobContext, source_id: str, dataset_id: str, url: str, now: datetime
) -> list[str]:
    assert ctx.settings.storage_dir is not None
    ctx.settings.storage_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ctx.settings.storage_dir, prefix=".sync-") as workdir:
        received = await fetch_to_file(
            url,
            Path(workdir),
            max_bytes=ctx.settings.max_upload_file_bytes,
            allow_private=ctx.settings.allow_private_urls,
        )
        async with ctx.db.transaction() as session:
            dataset = await session.get(Dataset, dataset_id)
            source = await session.get(DatasetSource, source_id)
            if dataset is None or dataset.deleted_at is not None or source is None:
                return []
            previous = list(
                await session.scalars(
                    select(Document).where(
                        Document.source_id == source_id, Document.deleted_at.is_(None)
                    )
                )
            )
            source.last_synced_at = now
            source.size_bytes = received.size
            if any(doc.content_hash == received.sha256 for doc in previous):
                logger.info("source_unchanged", source_id=source_id)
                return []
            answers = await uploads.upload(
                session,
                _owner(dataset),
                dataset,
                [received],
                settings=ctx.settings,
                storage=ctx.storage,
                charges=ctx.charges,
                source_url=url,
                source_id=source_id,
            )
            working = await versions.working_copy(session, dataset)
            for doc in previous:
                if await ctx.chunks.exists(working.collection_name):
                    await ctx.chunks.delete_document(working.collection_name, doc.id)
                doc.deleted_at = now
            await documents.refresh_dataset_counts(session, dataset.id, now)
    logger.info("source_changed", source_id=source_id)
    return [a.job_id for a in answers if a.job_id is not None]
