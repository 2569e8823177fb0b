"""Run the real npm ``better-auth`` (pinned in node/package-lock.json) beside FLTR.

- ``ensure_installed()``: ``npm ci`` into tests/compat/node when needed (once per process).
- ``better_auth_server(database_url, secret)``: Better Auth served by ``node server.mjs``,
  configured like FLTR's frontend (see node/auth.mjs); yields its base URL.
- ``migration_report(database_url)`` / ``apply_better_auth_migrations(database_url)``:
  Better Auth's own migration planner (``getMigrations``) against a database.

Everything here is synchronous (subprocesses); from async tests call the functions through
``asyncio.to_thread`` or use them in fixtures.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

COMPAT_DIR = Path(__file__).resolve().parent
NODE_DIR = COMPAT_DIR / "node"
INSTALL_SCRIPT = COMPAT_DIR / "install.sh"
BETTER_AUTH_VERSION = "1.7.25"
READY_TIMEOUT = 30.0

_install_lock = threading.Lock()
_installed = False


def ensure_installed() -> None:
    """Install the pinned node packages (``install.sh``), at most once per process."""
    global _installed
    with _install_lock:
        if _installed:
            return
        proc = subprocess.run(
            ["bash", str(INSTALL_SCRIPT)], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"tests/compat/install.sh failed (exit {proc.returncode}):\n"
                f"{proc.stdout}{proc.stderr}"
            )
        _installed = True


def node_database_url(database_url: str) -> str:
    """``postgresql+asyncpg://...`` (SQLAlchemy) -> ``postgresql://...`` (node-postgres)."""
    url = re.sub(r"^postgresql\+[a-z0-9]+://", "postgresql://", database_url)
    if not url.startswith(("postgresql://", "postgres://")):
        raise ValueError(f"not a PostgreSQL URL: {database_url!r}")
    return url


def _node_env(**extra: str) -> dict[str, str]:
    """Our environment minus anything that would change Better Auth's behaviour.

    NODE_ENV is left unset: "test" (or TEST=1) would make Better Auth skip its origin check,
    "development" would record 127.0.0.1 as every session's IP, and "production" would turn
    its rate limiter on (3 sign-ins per 10 s per IP), which the tests would trip.
    Unset behaves like production in everything else.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BETTER_AUTH_", "AUTH_")) and k not in {"TEST", "NODE_ENV", "PORT"}
    }
    env.update(extra)
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def better_auth_server(
    database_url: str,
    secret: str,
    *,
    port: int | None = None,
    trusted_origins: Iterable[str] = (),
    base_url: str | None = None,
) -> Iterator[str]:
    """Serve Better Auth (``node server.mjs``) on 127.0.0.1; yield ``http://127.0.0.1:<port>``.

    ``base_url`` is what Better Auth is told its public URL is (``BETTER_AUTH_URL``: it sets
    the JWT ``iss``/``aud``, the trusted origin and, when https, the ``__Secure-`` cookie
    prefix); it defaults to the served address. Raises with the server's output when it does
    not print ``READY <port>`` within 30 s.
    """
    ensure_installed()
    port = port or _free_port()
    served = f"http://127.0.0.1:{port}"
    env = _node_env(
        DATABASE_URL=node_database_url(database_url),
        BETTER_AUTH_SECRET=secret,
        BETTER_AUTH_URL=base_url or served,
        BETTER_AUTH_TRUSTED_ORIGINS=",".join(trusted_origins),
        PORT=str(port),
    )
    proc = subprocess.Popen(
        ["node", "server.mjs"],
        cwd=NODE_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    output: list[str] = []
    ready = threading.Event()

    def drain() -> None:  # keeps reading so the server never blocks on a full pipe
        assert proc.stdout is not None
        for line in proc.stdout:
            output.append(line)
            if line.startswith("READY "):
                ready.set()

    reader = threading.Thread(target=drain, name="better-auth-output", daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while not ready.wait(0.05):
            if proc.poll() is not None:
                reader.join(2)
                raise RuntimeError(
                    f"better-auth server exited with {proc.returncode} before READY:\n"
                    + "".join(output)
                )
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"better-auth server printed no READY within {READY_TIMEOUT:.0f} s:\n"
                    + "".join(output)
                )
        yield served
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        reader.join(5)
        if proc.stdout is not None:
            proc.stdout.close()


def _migrate_check(database_url: str, *args: str) -> dict[str, Any]:
    ensure_installed()
    proc = subprocess.run(
        ["node", "migrate-check.mjs", *args],
        cwd=NODE_DIR,
        env=_node_env(DATABASE_URL=node_database_url(database_url)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"node migrate-check.mjs {' '.join(args)} failed (exit {proc.returncode}):\n"
            f"{proc.stdout}{proc.stderr}"
        )
    report: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return report


def migration_report(database_url: str) -> dict[str, Any]:
    """What Better Auth's migrator would do to this database.

    ``{"toBeCreated": [table, ...], "toBeAdded": [{"table", "fields": [column, ...]}],
    "toBeAddedIndexes": [...], "unsafeChanges": [...], "schemaProblems": [...]}``
    """
    return _migrate_check(database_url)


def apply_better_auth_migrations(database_url: str) -> dict[str, Any]:
    """Run Better Auth's own migrations; return the plan that was applied."""
    return _migrate_check(database_url, "--apply")


def better_auth_sql(database_url: str) -> str:
    """The SQL Better Auth's migrator would run against this database (compileMigrations)."""
    ensure_installed()
    proc = subprocess.run(
        ["node", "migrate-check.mjs", "--sql"],
        cwd=NODE_DIR,
        env=_node_env(DATABASE_URL=node_database_url(database_url)),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return proc.stdout
