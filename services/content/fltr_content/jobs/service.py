"""Reading and cancelling jobs. A job is visible to whoever may edit its dataset.

Never commits.
"""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content.callers.resolver import Caller
from fltr_content.credits.charges import Charges, LedgerRefused
from fltr_content.datasets import service as catalog
from fltr_content.datasets.directory import OwnerDirectory
from fltr_content.documents import repository as documents
from fltr_content.documents.service import editable_dataset
from fltr_content.jobs import repository
from fltr_content.jobs.models import FINISHED_STATES, ProcessingJob
from fltr_content.jobs.schemas import JobOut
from fltr_shared.db import utcnow
from fltr_shared.errors import Forbidden, NotFound, UpstreamUnavailable

logger = structlog.get_logger(__name__)


def _missing() -> NotFound:
    return NotFound("No such job.", code="job_not_found")


async def _visible(
    session: AsyncSession, caller: Caller, job_id: str, directory: OwnerDirectory | None
) -> ProcessingJob:
    job = await repository.get(session, job_id)
    if job is None:
        raise _missing()
    # a job of a dataset you may not edit does not exist for you (ids are not oracles)
    try:
        await catalog.editable(session, caller, job.dataset_id, directory)
    except (NotFound, Forbidden):
        raise _missing() from None
    return job


async def get(
    session: AsyncSession, caller: Caller, job_id: str, directory: OwnerDirectory | None = None
) -> JobOut:
    return JobOut.of(await _visible(session, caller, job_id, directory))


async def cancel(
    session: AsyncSession,
    caller: Caller,
    job_id: str,
    charges: Charges,
    directory: OwnerDirectory | None = None,
) -> JobOut:
    """A queued job ends now (its document is marked cancelled and its hold goes back); a
    running one stops at its next checkpoint and cleans up itself."""
    job = await _visible(session, caller, job_id, directory)
    if job.state not in FINISHED_STATES:
        was_queued = job.state == "queued"
        now = utcnow()
        await repository.request_cancel(session, job_id, now)
        await session.refresh(job)
        if was_queued and job.state == "cancelled":
            if job.document_id is not None:
                document = await documents.get(session, job.document_id)
                if document is not None and document.deleted_at is None:
                    document.status = "cancelled"
                    document.updated_at = now
            await documents.refresh_dataset_counts(session, job.dataset_id, now)
            if job.credit_hold_id is not None:
                try:
                    await charges.release(job.credit_hold_id, f"ingest-release:{job.id}")
                except (LedgerRefused, UpstreamUnavailable) as exc:
                    # the hold expires and the sweeper releases it
                    logger.warning("cancel_release_failed", job_id=job_id, error=repr(exc))
    return JobOut.of(job)


async def list_for_dataset(
    session: AsyncSession,
    caller: Caller,
    ref: str,
    *,
    limit: int,
    offset: int,
    state: str | None,
    directory: OwnerDirectory | None = None,
) -> tuple[list[JobOut], int]:
    dataset = await editable_dataset(session, caller, ref, directory)
    rows, total = await repository.page(
        session, dataset.id, limit=limit, offset=offset, state=state
    )
    return [JobOut.of(row) for row in rows], total
