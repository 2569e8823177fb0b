"""Fixtures: a migrated database per service for the run, a rolled-back transaction per test,
apps with their lifespans, and the auth service served over real HTTP for the content service.

Backends: PostgreSQL at FLTR_TEST_POSTGRES_URL (the reference), or SQLite files when
FLTR_TEST_DATABASE=sqlite (``make test-sqlite``, tests marked ``core``). A missing PostgreSQL
or Redis is an error, never a skip.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fltr_auth.app import create_app as create_auth_app
from fltr_auth.migration_spec import AUTH_MIGRATIONS
from fltr_auth.settings import AuthSettings
from fltr_content.app import create_app as create_content_app
from fltr_content.migration_spec import CONTENT_MIGRATIONS
from fltr_content.settings import ContentSettings
from fltr_shared.db import Database
from tests.mail import Mailbox, smtp_server
from tests.support import (
    BACKEND,
    POSTGRES_URL,
    REDIS_URL,
    TEST_BETTER_AUTH_SECRET,
    TEST_SERVICE_TOKEN,
    serve_in_loop,
    service_database,
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if BACKEND == "sqlite":
        # The SQLite run proves the core paths only; PostgreSQL runs everything.
        deselected = [item for item in items if item.get_closest_marker("core") is None]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = [item for item in items if item.get_closest_marker("core") is not None]


@pytest.fixture(scope="session", autouse=True)
async def _services_answer() -> None:
    """Fail (not skip) at once when the servers the tests need are not there."""
    if BACKEND != "sqlite":
        try:
            conn = await asyncpg.connect(POSTGRES_URL.replace("+asyncpg", ""), timeout=5)
            await conn.close()
        except (OSError, asyncpg.PostgresError) as exc:
            pytest.fail(f"PostgreSQL at FLTR_TEST_POSTGRES_URL={POSTGRES_URL} fails: {exc}")
    client = aioredis.from_url(REDIS_URL, socket_connect_timeout=5)
    try:
        await client.ping()
    except Exception as exc:
        pytest.fail(f"Redis at FLTR_TEST_REDIS_URL={REDIS_URL} does not answer: {exc}")
    finally:
        await client.aclose()


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="session")
async def auth_database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    async with service_database(
        "fltr_auth_test", AUTH_MIGRATIONS, tmp_path_factory.mktemp("db")
    ) as url:
        yield url


@pytest.fixture(scope="session")
async def content_database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    async with service_database(
        "fltr_test", CONTENT_MIGRATIONS, tmp_path_factory.mktemp("db")
    ) as url:
        yield url


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on loopback; the auth service sends its email here."""
    with smtp_server() as box:
        yield box


@pytest.fixture(scope="session")
def auth_settings(auth_database_url: str, var_dir: Path, mailbox: Mailbox) -> AuthSettings:
    return AuthSettings(
        _env_file=None,
        fltr_env="test",
        database_url=auth_database_url,
        var_dir=var_dir,
        internal_service_token=SecretStr(TEST_SERVICE_TOKEN),
        better_auth_secret=SecretStr(TEST_BETTER_AUTH_SECRET),
        better_auth_url="http://auth.test",  # the public URL; the issuer of JWTs
        trusted_origins=["http://frontend.test"],
        log_level="WARNING",
        # every test signs in from 127.0.0.1; the limit itself has its own test
        sign_in_rate_limit="100000/minute",
        # the sweeper would run on the rolled-back connection the tests share; the ledger tests
        # call it themselves, and the race test runs an app with its own
        credit_sweep_interval_seconds=0,
        smtp_host="127.0.0.1",
        smtp_port=mailbox.port,
        smtp_starttls=False,
    )


@pytest.fixture(scope="session")
async def auth_app(auth_settings: AuthSettings) -> AsyncIterator[FastAPI]:
    app = create_auth_app(auth_settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="session")
async def auth_url(auth_app: FastAPI) -> AsyncIterator[str]:
    """The auth app served over real HTTP (the content service calls it here)."""
    async with serve_in_loop(auth_app) as url:
        yield url


@pytest.fixture(scope="session")
def content_settings(
    content_database_url: str, var_dir: Path, auth_url: str, auth_settings: AuthSettings
) -> ContentSettings:
    return ContentSettings(
        _env_file=None,
        fltr_env="test",
        database_url=content_database_url,
        var_dir=var_dir,
        auth_service_url=auth_url,
        auth_jwt_issuer=auth_settings.base_origin,
        internal_service_token=SecretStr(TEST_SERVICE_TOKEN),
        log_level="WARNING",
        # tests share one rolled-back connection with the app: no background job polling
        # beside their requests (ingestion tests use their own app, tests/content/conftest.py)
        job_poll_seconds=3600,
        source_sync_interval_seconds=86400,
    )


@pytest.fixture(scope="session")
async def content_app(content_settings: ContentSettings) -> AsyncIterator[FastAPI]:
    app = create_content_app(content_settings)
    async with app.router.lifespan_context(app):
        # no job workers beside tests that share one rolled-back connection: a submitted job
        # stays queued, and a test that needs one runs it itself (run_job / run_publish_job)
        await app.state.jobs.stop()
        yield app


@contextlib.asynccontextmanager
async def rolled_back(database: Database) -> AsyncIterator[None]:
    """Run a test inside one outer transaction that is rolled back at the end.

    Request sessions join it through SAVEPOINTs, so their commits are real to the code under
    test and vanish afterwards. Requests within one test share the connection.
    """
    original = database.sessionmaker
    async with database.engine.connect() as conn:
        outer = await conn.begin()
        database.sessionmaker = async_sessionmaker(
            bind=conn,
            class_=AsyncSession,
            expire_on_commit=False,
            join_transaction_mode="create_savepoint",
        )
        try:
            yield
        finally:
            database.sessionmaker = original
            await outer.rollback()


def cookieless_client(app: FastAPI, base_url: str) -> httpx.AsyncClient:
    """A client that keeps no cookies: each test presents its credential explicitly."""
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)

    async def forget_cookies(_: httpx.Response) -> None:
        client.cookies.clear()

    client.event_hooks["response"].append(forget_cookies)
    return client


@pytest.fixture
async def auth_client(auth_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        rolled_back(auth_app.state.db),
        cookieless_client(auth_app, "http://auth.test") as client,
    ):
        yield client


@pytest.fixture
async def content_client(content_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        rolled_back(content_app.state.db),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=content_app), base_url="http://content.test"
        ) as client,
    ):
        yield client


# ---- a content app with committed data and background job workers (ingestion, clients)


@pytest.fixture(scope="session")
async def ingest_database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    async with service_database(
        "fltr_ingest_test", CONTENT_MIGRATIONS, tmp_path_factory.mktemp("ingestdb")
    ) as url:
        yield url


@pytest.fixture(scope="session")
async def ingest_auth_app(auth_settings: AuthSettings) -> AsyncIterator[FastAPI]:
    """A second auth app on the same auth database that no test ever wraps in a rolled-back
    transaction: background jobs may call it at any time."""
    app = create_auth_app(auth_settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="session")
async def ingest_auth_url(ingest_auth_app: FastAPI) -> AsyncIterator[str]:
    async with serve_in_loop(ingest_auth_app) as url:
        yield url


@pytest.fixture(scope="session")
def ingest_settings(
    ingest_database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    ingest_auth_url: str,
    auth_settings: AuthSettings,
) -> ContentSettings:
    var_dir: Path = tmp_path_factory.mktemp("ingest-var")
    return ContentSettings(
        _env_file=None,
        fltr_env="test",
        database_url=ingest_database_url,
        var_dir=var_dir,
        auth_service_url=ingest_auth_url,
        auth_jwt_issuer=auth_settings.base_origin,
        internal_service_token=SecretStr(TEST_SERVICE_TOKEN),
        log_level="WARNING",
        job_poll_seconds=0.2,
        max_upload_file_bytes=2 * 1024 * 1024,
        max_upload_files=5,
        allow_private_urls=True,
        publish_inline_max_chunks=0,  # every publish here is a background job
    )


@pytest.fixture(scope="session")
async def ingest_app(ingest_settings: ContentSettings) -> AsyncIterator[FastAPI]:
    app = create_content_app(ingest_settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def ingest_client(ingest_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=ingest_app), base_url="http://content.test", timeout=60
    ) as client:
        yield client


@pytest.fixture
async def committed_auth(ingest_auth_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The auth service with real commits, so background jobs see the same users."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=ingest_auth_app), base_url="http://auth.test"
    ) as client:
        yield client
