"""A job whose database connection is cut mid-statement (what a PostgreSQL restart does to
a query in flight: "terminating connection due to administrator command") is retried, not
failed.

asyncpg reports that as a plain ``DBAPIError`` (connection invalidated), which the runner
once took for a fatal error: the job failed and its hold was released, for a restart. The
cut is made deterministic here: the job's first write waits on a row lock this test holds,
and the test terminates exactly that backend.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from fltr_content.app import create_app as create_content_app
from fltr_content.migration_spec import CONTENT_MIGRATIONS
from fltr_content.processing.runner import is_transient, run_job
from fltr_content.settings import ContentSettings
from tests.content import documents as docs
from tests.content.ingest_support import funded_curator, upload
from tests.support import BACKEND, service_database

pytestmark = pytest.mark.skipif(
    BACKEND != "postgresql", reason="cuts a PostgreSQL backend connection"
)


@pytest.fixture
async def quiet_app(ingest_settings: ContentSettings, tmp_path: Path) -> AsyncIterator[FastAPI]:
    """A content app on its own database with its job workers stopped: the test runs the job
    itself, when it chooses (no other runner polls this database)."""
    async with service_database("fltr_jobfault", CONTENT_MIGRATIONS, tmp_path) as url:
        # its own Milvus Lite file too: milvus_uri was fixed from the shared var_dir when the
        # settings were made, and closing this app stops the embedded server of its file
        settings = ingest_settings.model_copy(
            update={
                "database_url": url,
                "var_dir": tmp_path,
                "milvus_uri": str(tmp_path / "milvus.db"),
            }
        )
        app = create_content_app(settings)
        async with app.router.lifespan_context(app):
            await app.state.jobs.stop()
            yield app


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _blocked_backend(conn: asyncpg.Connection, timeout: float = 20.0) -> int:
    """The pid of the backend waiting on our row lock."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        pid = await conn.fetchval(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid() LIMIT 1"
        )
        if pid is not None:
            return int(pid)
        assert loop.time() < deadline, "the job never reached the locked row"
        await asyncio.sleep(0.05)


async def test_a_statement_cut_by_a_restart_is_retried_not_failed(
    committed_auth: httpx.AsyncClient, quiet_app: FastAPI
) -> None:
    ctx = quiet_app.state.job_context
    url = quiet_app.state.settings.database_url
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=quiet_app), base_url="http://content.test", timeout=60
    ) as content:
        curator = await funded_curator(committed_auth, content)
        body = await upload(content, curator, [("coffee.md", docs.MARKDOWN_DOC)])
        job_id = body["documents"][0]["job_id"]

        locker = await asyncpg.connect(_asyncpg_dsn(url))
        killer = await asyncpg.connect(_asyncpg_dsn(url))
        try:
            lock = locker.transaction()
            await lock.start()
            # the job's first transaction writes the dataset row (its embedding model): it
            # waits here, mid-statement, like a query in flight when the server goes down
            await locker.execute(
                "SELECT 1 FROM datasets WHERE id = $1 FOR UPDATE", curator.dataset["id"]
            )
            run = asyncio.create_task(run_job(ctx, job_id))
            victim = await _blocked_backend(killer)
            assert await killer.fetchval("SELECT pg_terminate_backend($1)", victim)
            await lock.rollback()
            assert await asyncio.wait_for(run, 30) is True
        finally:
            await locker.close()
            await killer.close()

        job = (await content.get(f"/api/v1/jobs/{job_id}", headers=curator.headers)).json()
        assert job["state"] == "queued", job  # back in the queue after its backoff, not failed
        assert job["attempts"] == 1
        assert "error" not in job or job["error"] is None, job

        # after the backoff the next attempt claims it and finishes
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while not await run_job(ctx, job_id):
            assert loop.time() < deadline, "the retried job never became due"
            await asyncio.sleep(0.2)
        job = (await content.get(f"/api/v1/jobs/{job_id}", headers=curator.headers)).json()
        assert job["state"] == "succeeded", job
        assert job["attempts"] == 2
        assert job["credits_charged"] > 0  # the hold survived the cut and was captured


async def test_restart_errors_count_as_transient(tmp_path: Path) -> None:
    """The errors a restart raises, produced by a real server: transient; a plain SQL error
    in the same family is not."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.ext.asyncio import create_async_engine

    async with service_database("fltr_transient", CONTENT_MIGRATIONS, tmp_path) as url:
        engine = create_async_engine(url)
        killer = await asyncpg.connect(_asyncpg_dsn(url))
        try:
            async with engine.connect() as conn:
                pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
                sleeping = asyncio.create_task(conn.execute(text("SELECT pg_sleep(10)")))
                await asyncio.sleep(0.3)
                await killer.execute("SELECT pg_terminate_backend($1)", pid)
                with pytest.raises(DBAPIError) as cut:
                    await sleeping
            assert is_transient(cut.value)
            async with engine.connect() as conn:
                with pytest.raises(DBAPIError) as bad:
                    await conn.execute(text("SELECT 1/0"))
            assert not is_transient(bad.value)
        finally:
            await killer.close()
            await engine.dispose()
