"""Operators' migration commands on a fresh database: up, down to base, up again.

Each service keeps its own Alembic version table; no shared ``alembic_version`` appears.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from fltr_auth.migration_spec import AUTH_MIGRATIONS
from fltr_content.migration_spec import CONTENT_MIGRATIONS
from fltr_shared.migrations import MigrationSpec
from tests.support import REPO_ROOT, clean_env, console_script, service_database

pytestmark = pytest.mark.core


async def table_names(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


def cli(script: str, *args: str, url: str) -> str:
    result = subprocess.run(
        [console_script(script), "db", *args],
        env=clean_env(DATABASE_URL=url),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize(
    ("script", "spec", "prefix"),
    [
        ("fltr-auth", AUTH_MIGRATIONS, "fltr_auth_mig"),
        ("fltr-content", CONTENT_MIGRATIONS, "fltr_mig"),
    ],
)
async def test_upgrade_downgrade_upgrade(
    script: str, spec: MigrationSpec, prefix: str, tmp_path: Path
) -> None:
    async with service_database(prefix, spec, tmp_path, migrate=False) as url:
        cli(script, "upgrade", url=url)
        after_up = await table_names(url)
        assert spec.version_table in after_up
        assert "alembic_version" not in after_up
        assert "(head)" in cli(script, "current", url=url)

        cli(script, "downgrade", "base", url=url)
        assert await table_names(url) == {spec.version_table}

        cli(script, "upgrade", url=url)
        assert await table_names(url) == after_up
        assert "alembic_version" not in await table_names(url)
        assert "Baseline" in cli(script, "history", url=url)


def test_bad_database_url_is_a_clear_error() -> None:
    result = subprocess.run(
        [console_script("fltr-auth"), "db", "upgrade"],
        env=clean_env(DATABASE_URL="mysql://nope"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "DATABASE_URL must start with" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("spec", "prefix", "metadata_module"),
    [
        (AUTH_MIGRATIONS, "fltr_auth_drift", "fltr_auth.models"),
        (CONTENT_MIGRATIONS, "fltr_drift", "fltr_content.models"),
    ],
)
async def test_models_match_the_migrations(
    spec: MigrationSpec, prefix: str, metadata_module: str, tmp_path: Path
) -> None:
    """Autogenerate against a migrated database finds nothing: no model change lacks a migration."""
    import importlib

    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    metadata = importlib.import_module(metadata_module).metadata
    async with service_database(prefix, spec, tmp_path) as url:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:

                def diff(sync_conn: object) -> list[object]:
                    context = MigrationContext.configure(
                        sync_conn,  # type: ignore[arg-type]
                        opts={"compare_type": True, "version_table": spec.version_table},
                    )
                    return list(compare_metadata(context, metadata))

                differences = await conn.run_sync(diff)
        finally:
            await engine.dispose()
    assert differences == []
