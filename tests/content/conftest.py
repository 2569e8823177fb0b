"""Fixtures of the content tests that need committed data (background jobs)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from fltr_auth.app import create_app as create_auth_app
from fltr_auth.settings import AuthSettings
from fltr_content.app import create_app as create_content_app
from fltr_content.migration_spec import CONTENT_MIGRATIONS
from fltr_content.settings import ContentSettings
from tests.support import TEST_SERVICE_TOKEN, serve_in_loop, service_database


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
