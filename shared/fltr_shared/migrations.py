"""Alembic plumbing shared by both services; each keeps its own scripts and version table.

A service's ``migrations/env.py`` calls :func:`run_env`. Operators run migrations through the
service's CLI (``fltr-auth db upgrade``) or plain Alembic with the service's ``alembic.ini``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from fltr_shared.db import UTCDateTime, ensure_sqlite_dir


@dataclass(frozen=True)
class MigrationSpec:
    script_location: str  # "package:folder", found wherever the package is installed
    version_table: str


def alembic_config(spec: MigrationSpec, database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", spec.script_location)
    # ConfigParser treats % as interpolation; URLs may hold %-escaped passwords.
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(spec: MigrationSpec, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(spec, database_url), revision)


def downgrade(spec: MigrationSpec, database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(spec, database_url), revision)


def run_env(
    target_metadata: MetaData,
    version_table: str,
    default_url: Callable[[], str] | None = None,
) -> None:
    """The body of a service's ``env.py``: offline SQL, a passed-in connection, or a URL.

    ``default_url`` is asked only when no URL was configured (plain ``alembic`` runs).
    """
    from alembic import context

    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    if not url and default_url is not None:
        url = default_url()

    def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
        # Migrations must not import application types: UTCDateTime is timestamptz.
        if type_ == "type" and isinstance(obj, UTCDateTime):
            return "sa.DateTime(timezone=True)"
        return False

    options: dict[str, Any] = {
        "render_item": render_item,
        "target_metadata": target_metadata,
        "version_table": version_table,
        "render_as_batch": True,  # SQLite cannot ALTER most things; batch mode copies tables
        "compare_type": True,
        "compare_server_default": True,
    }

    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return

    def run_on(connection: Connection) -> None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()

    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    if not url:
        raise RuntimeError("No database URL for migrations")

    async def run_async() -> None:
        ensure_sqlite_dir(url)
        engine = create_async_engine(url, poolclass=pool.NullPool)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(run_on)
        finally:
            await engine.dispose()

    asyncio.run(run_async())
