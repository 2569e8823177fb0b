"""Celery mode: jobs run on ``fltr-content worker`` processes fed through Redis.

The task code is ``run_job``, the same as in-process. Delivery is at least once
(``acks_late``; a worker killed mid-task leaves its message unacknowledged) and the job row
makes it exactly-once in effect: a claim is one conditional UPDATE, and a job whose worker died
is found by ``fltr.requeue_due`` (run by beat every few seconds) once its lease runs out, then
claimed and finished by another worker. Every write of a job is an upsert keyed by ids.

Each worker process keeps one event loop and one JobContext (database pool, Milvus client,
embedder) for its life; ``-P solo`` runs one job at a time per process, so scale by running
more worker processes (the embedder already uses every core it is given).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import structlog
from celery import Celery

from fltr_content.auth_client import AuthServiceClient
from fltr_content.credits.charges import Charges
from fltr_content.jobs import repository as jobs
from fltr_content.processing.context import JobContext
from fltr_content.processing.runner import run_job
from fltr_content.processing.wiring import embedder_from, storage_from
from fltr_content.settings import ContentSettings
from fltr_content.vectors.chunks import ChunkStore
from fltr_content.vectors.store import VectorStore
from fltr_shared.db import Database, create_engine, utcnow
from fltr_shared.internal_client import InternalClient
from fltr_shared.logging import configure_logging

logger = structlog.get_logger(__name__)

RUN_JOB = "fltr.run_job"
REQUEUE_DUE = "fltr.requeue_due"
SYNC_SOURCES = "fltr.sync_sources"
QUEUE = "fltr-jobs"


def make_celery(settings: ContentSettings) -> Celery:
    app = Celery("fltr_content", broker=settings.celery_broker_url)
    app.conf.update(
        task_default_queue=QUEUE,
        task_acks_late=True,  # a killed worker's message is not lost...
        task_reject_on_worker_lost=True,  # ...and goes back to the queue
        worker_prefetch_multiplier=1,  # long jobs: do not hoard messages
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 3600},
        worker_hijack_root_logger=False,
        # Celery would swap sys.stderr for a proxy that logs to the root logger; our handler
        # (made on the first task, on sys.stderr) then wrote into that proxy, which drops the
        # recursion: every log line of a job (failed attempts, done) was lost
        worker_redirect_stdouts=False,
        beat_schedule={
            "requeue-due-jobs": {"task": REQUEUE_DUE, "schedule": settings.job_poll_seconds},
            "sync-url-sources": {
                "task": SYNC_SOURCES,
                "schedule": settings.source_sync_interval_seconds,
            },
        },
    )
    return app


@dataclass
class _Runtime:
    loop: asyncio.AbstractEventLoop
    ctx: JobContext


_runtime: _Runtime | None = None


def _build_context(settings: ContentSettings) -> JobContext:
    vectors = VectorStore(
        settings.milvus_uri, settings.milvus_token, settings.db_connect_timeout_seconds
    )
    auth = AuthServiceClient(
        InternalClient(
            settings.auth_service_url,
            peer="auth",
            service_token=settings.resolve_internal_token(),
            timeout=settings.internal_http_timeout_seconds,
            retries=settings.internal_http_retries,
        )
    )
    return JobContext(
        settings=settings,
        db=Database(create_engine(settings)),
        chunks=ChunkStore(vectors, shards=settings.milvus_shards),
        storage=storage_from(settings),
        embedder=embedder_from(settings),
        charges=Charges(auth),
    )


def runtime() -> _Runtime:
    """This worker process's loop and context, made on first use."""
    global _runtime
    if _runtime is None:
        settings = ContentSettings()
        configure_logging(settings.log_level, settings.log_format)
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        _runtime = _Runtime(loop, _build_context(settings))
    return _runtime


def register_tasks(app: Celery) -> None:
    @app.task(name=RUN_JOB, acks_late=True, reject_on_worker_lost=True)  # type: ignore[untyped-decorator]
    def run_job_task(job_id: str) -> None:
        rt = runtime()
        ran = rt.loop.run_until_complete(run_job(rt.ctx, job_id))
        logger.info("celery_job_done", job_id=job_id, ran=ran)

    @app.task(name=REQUEUE_DUE)  # type: ignore[untyped-decorator]
    def requeue_due() -> int:
        """Send every due job (backoff over, or its worker died) to the queue again; a job
        already running elsewhere is not due, and a duplicate message finds nothing to claim."""
        rt = runtime()

        async def due() -> list[str]:
            async with rt.ctx.db.transaction() as session:
                return await jobs.due_ids(session, utcnow(), limit=500)

        ids = rt.loop.run_until_complete(due())
        for job_id in ids:
            app.send_task(RUN_JOB, args=[job_id], queue=QUEUE)
        return len(ids)

    register_sync_task(app)


def register_sync_task(app: Celery) -> None:
    from fltr_content.processing.source_sync import sync_due_sources

    @app.task(name=SYNC_SOURCES)  # type: ignore[untyped-decorator]
    def sync_sources() -> int:
        rt = runtime()
        job_ids = rt.loop.run_until_complete(sync_due_sources(rt.ctx))
        for job_id in job_ids:
            app.send_task(RUN_JOB, args=[job_id], queue=QUEUE)
        return len(job_ids)


class CeleryRunner:
    """What the web process uses in Celery mode: ``submit`` sends the job to the queue."""

    def __init__(self, app: Celery) -> None:
        self._app = app
        self._pending: set[asyncio.Future[Any]] = set()

    def submit(self, job_id: str) -> None:
        loop = asyncio.get_running_loop()
        # kombu's send is blocking I/O: keep it off the event loop
        future = loop.run_in_executor(
            None, lambda: self._app.send_task(RUN_JOB, args=[job_id], queue=QUEUE)
        )
        self._pending.add(future)
        future.add_done_callback(self._sent)

    def _sent(self, future: asyncio.Future[Any]) -> None:
        self._pending.discard(future)
        if not future.cancelled() and future.exception() is not None:
            # the job row stays queued; beat's requeue sends it again
            logger.warning("celery_send_failed", error=repr(future.exception()))

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)


def celery_from_env() -> Celery:
    """The app ``celery -A fltr_content.processing.celery_app:celery_from_env`` would use."""
    settings = ContentSettings()
    app = make_celery(settings)
    register_tasks(app)
    return app
