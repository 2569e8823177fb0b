"""Running jobs: claim, dispatch by kind, retry transient failures with backoff.

The same ``run_job`` runs in the web process (``InProcessRunner``: a bounded pool of asyncio
workers fed by a queue and by a poller that also finds jobs left behind by a crash) and in a
Celery worker (``fltr_content.processing.celery_app``). The ``processing_jobs`` row is the
truth: whoever claims it (one conditional UPDATE) runs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

import structlog
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from fltr_content.jobs import repository as jobs
from fltr_content.processing.context import JobContext
from fltr_content.processing.ingest import run_ingest
from fltr_shared.db import utcnow
from fltr_shared.errors import UpstreamUnavailable
from fltr_shared.metrics_catalog import record_job

logger = structlog.get_logger(__name__)

BACKOFF_BASE_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 300.0

JobHandler = Callable[[JobContext, str], Awaitable[None]]


def _handlers() -> dict[str, JobHandler]:
    # imported here: publishing belongs to the catalog's versions, which import the job models
    from fltr_content.versions.publishing import run_publish_job

    return {"ingest": run_ingest, "publish": run_publish_job}


async def run_job(ctx: JobContext, job_id: str) -> bool:
    """Claim and run one job; False if it was not due (another worker has it, or done)."""
    lease = timedelta(seconds=ctx.settings.job_lease_seconds)
    async with ctx.db.transaction() as session:
        if not await jobs.claim(session, job_id, ctx.worker, utcnow(), lease):
            return False
        job = await jobs.get(session, job_id)
        assert job is not None
        kind, attempts, max_attempts = job.kind, job.attempts, job.max_attempts
    started = time.perf_counter()
    handler = _handlers().get(kind)
    if handler is None:
        await _give_up(ctx, job_id, "unknown_job_kind", f"No runner for {kind!r} jobs.")
        record_job(kind, "failed", time.perf_counter() - started)
        return True
    try:
        await handler(ctx, job_id)
    except Exception as exc:
        transient = is_transient(exc)
        code = getattr(exc, "code", type(exc).__name__)
        logger.warning(
            "job_attempt_failed",
            job_id=job_id,
            attempt=attempts,
            error=repr(exc),
            transient=transient,
        )
        if transient and attempts < max_attempts:
            await _retry_later(ctx, job_id, attempts)
        else:
            await _give_up(ctx, job_id, str(code), "Processing failed; please retry the upload.")
    record_job(kind, await _state_of(ctx, job_id), time.perf_counter() - started)
    return True


def is_transient(exc: BaseException) -> bool:
    """Worth another attempt later: a peer or the database was away, not a bad document."""
    if isinstance(
        exc,
        UpstreamUnavailable | ConnectionError | TimeoutError | OperationalError | InterfaceError,
    ):
        return True
    if isinstance(exc, DBAPIError):
        # A PostgreSQL restart surfaces on asyncpg as a plain DBAPIError, not an
        # OperationalError: a statement cut off by the shutdown ("terminating connection due
        # to administrator command", the connection invalidated), or a server still starting
        # up or shutting down (SQLSTATE class 57P) or a connection failure (class 08).
        # Treated as fatal, one restart failed every job it caught mid-statement.
        sqlstate = str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", "") or "")
        return exc.connection_invalidated or sqlstate.startswith(("57P", "08"))
    return False


async def _state_of(ctx: JobContext, job_id: str) -> str:
    """The state a run left its job in (succeeded, failed, cancelled, queued for a retry);
    only for the metric, so it never raises."""
    try:
        async with ctx.db.transaction() as session:
            job = await jobs.get(session, job_id)
    except Exception:
        return "unknown"
    return job.state if job is not None else "gone"


async def _retry_later(ctx: JobContext, job_id: str, attempts: int) -> None:
    delay = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempts - 1))
    async with ctx.db.transaction() as session:
        job = await jobs.get(session, job_id)
        if job is not None and job.state == "running" and job.worker == ctx.worker:
            job.state = "queued"
            job.lease_expires_at = utcnow() + timedelta(seconds=delay)  # not before
            job.updated_at = utcnow()


async def _give_up(ctx: JobContext, job_id: str, code: str, message: str) -> None:
    from fltr_content.processing.ingest import _finish_without_result

    await _finish_without_result(ctx, job_id, "failed", code, message)


class InProcessRunner:
    """A bounded pool of workers inside the service process (the embedded default)."""

    def __init__(self, ctx: JobContext, *, workers: int, poll_seconds: float) -> None:
        self._ctx = ctx
        self._workers = workers
        self._poll_seconds = poll_seconds
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._queued: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []

    def submit(self, job_id: str) -> None:
        if job_id not in self._queued:
            self._queued.add(job_id)
            self._queue.put_nowait(job_id)

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._work(), name=f"job-worker-{n}") for n in range(self._workers)
        ]
        self._tasks.append(asyncio.create_task(self._poll(), name="job-poller"))
        self._tasks.append(asyncio.create_task(self._sync_sources(), name="source-sync"))

    async def _work(self) -> None:
        while True:
            job_id = await self._queue.get()
            self._queued.discard(job_id)
            try:
                await run_job(self._ctx, job_id)
            except Exception as exc:  # a worker must outlive any one job
                logger.error("job_crashed", job_id=job_id, error=repr(exc))

    async def _poll(self) -> None:
        """Find due jobs the queue does not know: retries whose backoff ended, and jobs of a
        process that died (expired leases)."""
        while True:
            await asyncio.sleep(self._poll_seconds)
            try:
                async with self._ctx.db.transaction() as session:
                    due = await jobs.due_ids(session, utcnow(), limit=100)
                for job_id in due:
                    self.submit(job_id)
            except Exception as exc:
                logger.warning("job_poll_failed", error=repr(exc))

    async def _sync_sources(self) -> None:
        from fltr_content.processing.source_sync import sync_due_sources

        while True:
            await asyncio.sleep(self._ctx.settings.source_sync_interval_seconds)
            try:
                for job_id in await sync_due_sources(self._ctx):
                    self.submit(job_id)
            except Exception as exc:
                logger.warning("source_sync_round_failed", error=repr(exc))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        # graceful shutdown: what was interrupted goes back to the queue at once instead of
        # waiting for its lease to run out
        try:
            async with self._ctx.db.transaction() as session:
                requeued = await jobs.requeue_running(session, self._ctx.worker, utcnow())
            if requeued:
                logger.info("jobs_requeued_on_shutdown", count=requeued)
        except Exception as exc:
            logger.warning("jobs_requeue_failed", error=repr(exc))
