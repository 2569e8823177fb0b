"""All SQL of the jobs domain. Claiming is one conditional UPDATE, so two runners (threads,
processes, Celery workers) never both run a job."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content.jobs.models import ProcessingJob


def _due(now: datetime) -> Any:
    return or_(
        and_(
            ProcessingJob.state == "queued",
            or_(ProcessingJob.lease_expires_at.is_(None), ProcessingJob.lease_expires_at <= now),
        ),
        # its worker died: the lease ran out without a heartbeat
        and_(ProcessingJob.state == "running", ProcessingJob.lease_expires_at <= now),
    )


async def claim(
    session: AsyncSession, job_id: str, worker: str, now: datetime, lease: timedelta
) -> bool:
    result = await session.execute(
        update(ProcessingJob)
        .where(ProcessingJob.id == job_id, _due(now))
        .values(
            state="running",
            worker=worker,
            attempts=ProcessingJob.attempts + 1,
            lease_expires_at=now + lease,
            started_at=func.coalesce(ProcessingJob.started_at, now),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def renew(
    session: AsyncSession, job_id: str, worker: str, now: datetime, lease: timedelta, **values: Any
) -> bool:
    """Heartbeat (and progress); false if the job is no longer this worker's."""
    result = await session.execute(
        update(ProcessingJob)
        .where(
            ProcessingJob.id == job_id,
            ProcessingJob.worker == worker,
            ProcessingJob.state == "running",
        )
        .values(lease_expires_at=now + lease, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def due_ids(session: AsyncSession, now: datetime, limit: int) -> list[str]:
    rows = await session.scalars(
        select(ProcessingJob.id)
        .where(_due(now))
        .order_by(ProcessingJob.created_at, ProcessingJob.id)
        .limit(limit)
    )
    return list(rows)


async def get(session: AsyncSession, job_id: str) -> ProcessingJob | None:
    return await session.get(ProcessingJob, job_id)


async def page(
    session: AsyncSession, dataset_id: str, *, limit: int, offset: int, state: str | None
) -> tuple[list[ProcessingJob], int]:
    query = select(ProcessingJob).where(ProcessingJob.dataset_id == dataset_id)
    if state is not None:
        query = query.where(ProcessingJob.state == state)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(ProcessingJob.created_at.desc(), ProcessingJob.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


async def request_cancel(session: AsyncSession, job_id: str, now: datetime) -> None:
    """Queued jobs are cancelled at once; a running one stops at its next checkpoint."""
    await session.execute(
        update(ProcessingJob)
        .where(ProcessingJob.id == job_id, ProcessingJob.state == "queued")
        .values(state="cancelled", cancel_requested=True, finished_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(ProcessingJob)
        .where(ProcessingJob.id == job_id, ProcessingJob.state == "running")
        .values(cancel_requested=True, updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def requeue_running(session: AsyncSession, worker: str, now: datetime) -> int:
    """On shutdown: this worker's unfinished jobs go back to the queue for the next one
    (their effects so far are upserts, so running them again is safe)."""
    result = await session.execute(
        update(ProcessingJob)
        .where(ProcessingJob.worker == worker, ProcessingJob.state == "running")
        .values(state="queued", lease_expires_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
