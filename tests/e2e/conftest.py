"""Fixtures of the end-to-end tests: both services started as real processes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from fltr_auth.migration_spec import AUTH_MIGRATIONS
from fltr_content.migration_spec import CONTENT_MIGRATIONS
from tests.support import (
    TEST_SERVICE_TOKEN,
    ServiceProcess,
    clean_env,
    console_script,
    free_port,
    service_database,
    wait_for_http,
)


@pytest.fixture
async def databases(tmp_path: Path) -> AsyncIterator[tuple[str, str]]:
    async with (
        service_database("fltr_auth_e2e", AUTH_MIGRATIONS, tmp_path) as auth_db,
        service_database("fltr_e2e", CONTENT_MIGRATIONS, tmp_path) as content_db,
    ):
        yield auth_db, content_db


@pytest.fixture
def stack(databases: tuple[str, str], tmp_path: Path) -> Iterator[tuple[ServiceProcess, str, str]]:
    """auth and content started by their console scripts on free ports."""
    auth_db, content_db = databases
    auth_port, content_port = free_port(), free_port()
    auth_url = f"http://127.0.0.1:{auth_port}"
    content_url = f"http://127.0.0.1:{content_port}"
    common = {"VAR_DIR": str(tmp_path / "var"), "INTERNAL_SERVICE_TOKEN": TEST_SERVICE_TOKEN}
    auth = ServiceProcess(
        [console_script("fltr-auth"), "serve", "--port", str(auth_port)],
        clean_env(**common, DATABASE_URL=auth_db),
        tmp_path / "auth.log",
    )
    content = ServiceProcess(
        [console_script("fltr-content"), "serve", "--port", str(content_port)],
        clean_env(**common, DATABASE_URL=content_db, AUTH_SERVICE_URL=auth_url),
        tmp_path / "content.log",
    )
    with auth, content:
        wait_for_http(f"{auth_url}/health", proc=auth)
        wait_for_http(f"{content_url}/health", proc=content)
        yield auth, auth_url, content_url
