"""``fltr-auth users set-role``: how an operator makes the first admin."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from fltr_auth.migration_spec import AUTH_MIGRATIONS
from tests.support import clean_env, console_script, service_database


async def role_of(url: str, email: str) -> str:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            result = await conn.execute(
                text("SELECT role FROM users WHERE email = :e"), {"e": email}
            )
            return str(result.scalar_one())
    finally:
        await engine.dispose()


def set_role(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [console_script("fltr-auth"), "users", "set-role", *args],
        env=clean_env(DATABASE_URL=url),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.core
async def test_set_role_promotes_and_refuses_unknown_input(tmp_path: Path) -> None:
    async with service_database("fltr_auth_cli", AUTH_MIGRATIONS, tmp_path) as url:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO users (id, name, email, email_verified) "
                    "VALUES ('u1', 'Op', 'op@example.com', false)"
                )
            )
        await engine.dispose()
        assert await role_of(url, "op@example.com") == "developer"

        done = set_role(url, "op@example.com", "admin")
        assert done.returncode == 0, done.stderr
        assert await role_of(url, "op@example.com") == "admin"

        missing = set_role(url, "nobody@example.com", "admin")
        assert missing.returncode == 1
        assert "No user with email" in missing.stderr
        bad_role = set_role(url, "op@example.com", "emperor")
        assert bad_role.returncode == 2
        assert await role_of(url, "op@example.com") == "admin"
