"""``Database.transaction``: one transaction per request that begins at its first statement.

On the backend under test (PostgreSQL by default, SQLite in ``make test-sqlite``), against a
throwaway database with one table."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Integer, event, select, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from fltr_shared import migrations
from fltr_shared.db import Database, after_commit
from tests.support import service_database

pytestmark = pytest.mark.core


class _Base(DeclarativeBase):
    pass


class Row(_Base):
    __tablename__ = "db_transaction_rows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


# no migrations: the table is made here
_NO_MIGRATIONS = migrations.MigrationSpec(script_location="", version_table="unused")


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[tuple[Database, list[str]]]:
    async with service_database(
        "fltr_db_transaction", _NO_MIGRATIONS, tmp_path, migrate=False
    ) as url:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(_Base.metadata.create_all)
        statements: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement.split()[0].upper())

        event.listen(engine.sync_engine, "before_cursor_execute", record)
        try:
            yield Database(engine), statements
        finally:
            await engine.dispose()


async def _ids(db: Database) -> list[int]:
    async with db.transaction() as session:
        return list((await session.scalars(select(Row.id).order_by(Row.id))).all())


async def test_a_transaction_that_runs_nothing_touches_no_connection(
    database: tuple[Database, list[str]],
) -> None:
    db, statements = database
    checkouts: list[object] = []
    event.listen(db.engine.sync_engine, "checkout", lambda *a: checkouts.append(a))
    hooks: list[str] = []
    async with db.transaction() as session:
        after_commit(session, lambda: hooks.append("ran"))
    assert checkouts == []
    assert statements == []
    assert hooks == ["ran"]


async def test_statements_commit_on_success(database: tuple[Database, list[str]]) -> None:
    db, _ = database
    async with db.transaction() as session:
        await session.execute(text("INSERT INTO db_transaction_rows (id) VALUES (1)"))
    assert await _ids(db) == [1]


async def test_objects_added_but_never_flushed_are_committed(
    database: tuple[Database, list[str]],
) -> None:
    db, _ = database
    async with db.transaction() as session:
        session.add(Row(id=2))
    assert await _ids(db) == [2]


async def test_an_error_rolls_everything_back_and_skips_the_hooks(
    database: tuple[Database, list[str]],
) -> None:
    db, _ = database
    hooks: list[str] = []

    async def fail_after_writing() -> None:
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO db_transaction_rows (id) VALUES (3)"))
            session.add(Row(id=4))
            after_commit(session, lambda: hooks.append("ran"))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await fail_after_writing()
    assert await _ids(db) == []
    assert hooks == []
