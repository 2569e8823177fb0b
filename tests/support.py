"""Helpers the fixtures and tests share: test databases, free ports, real servers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import uvicorn
from sqlalchemy.engine import make_url

from fltr_shared import migrations

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN_DIR = Path(sys.executable).parent
POSTGRES_URL = os.environ.get(
    "FLTR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("FLTR_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# "postgresql" (the reference, default) or "sqlite" (make test-sqlite)
BACKEND = os.environ.get("FLTR_TEST_DATABASE", "postgresql")
TEST_SERVICE_TOKEN = "test-service-token-" + "x" * 32
TEST_BETTER_AUTH_SECRET = "test-better-auth-secret-0123456789abcdef"


def _admin_dsn() -> str:
    return POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")


async def create_postgres_database(prefix: str) -> str:
    """Create an empty database on the test server; return its asyncpg SQLAlchemy URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(_admin_dsn())
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = make_url(_admin_dsn()).set(drivername="postgresql+asyncpg", database=name)
    return url.render_as_string(hide_password=False)


async def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    conn = await asyncpg.connect(_admin_dsn())
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def service_database(
    prefix: str, spec: migrations.MigrationSpec, tmp_dir: Path, *, migrate: bool = True
) -> AsyncIterator[str]:
    """A throwaway database for one service, migrated to head, dropped afterwards."""
    if BACKEND == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_dir / (prefix + '_' + uuid.uuid4().hex[:8])}.db"
    else:
        url = await create_postgres_database(prefix)
    try:
        if migrate:
            await asyncio.to_thread(migrations.upgrade, spec, url)
        yield url
    finally:
        if BACKEND != "sqlite":
            await drop_postgres_database(url)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def serve_in_loop(app: Any) -> AsyncIterator[str]:
    """Serve an ASGI app over real HTTP on a free loopback port, in this event loop.

    The app's lifespan is left to the caller (``lifespan="off"``), so tests can share state.
    """
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_config=None)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a service process: ours, minus FLTR settings that would leak in."""
    names = (
        "DATABASE_URL",
        "PORT",
        "HOST",
        "VAR_DIR",
        "AUTH_SERVICE_URL",
        "MILVUS_URI",
        "INTERNAL_SERVICE_TOKEN",
        "FLTR_ENV",
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in names and not k.startswith(("FLTR_AUTH_", "FLTR_CONTENT_"))
    }
    env.update(extra)
    return env


class ServiceProcess:
    """A service started as a real process (its console script), stopped on exit."""

    def __init__(self, argv: list[str], env: dict[str, str], log_path: Path) -> None:
        self.argv = argv
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ServiceProcess:
        with self.log_path.open("ab") as log:  # the child keeps its own descriptor
            # its own process group: children it forks (Celery's embedded beat, uvicorn
            # workers) are stopped with it instead of outliving the test
            self.proc = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=REPO_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def stop(self, sig: int | None = None, timeout: float = 15.0) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            if sig is None:
                self.proc.terminate()
            else:
                self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # whatever of the group is left
        return self.proc.returncode

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def __enter__(self) -> ServiceProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_for_http(url: str, timeout: float = 30.0, proc: ServiceProcess | None = None) -> float:
    """Poll ``url`` until it answers at all; return the seconds it took."""
    start = time.monotonic()
    while True:
        if proc is not None and proc.proc is not None and proc.proc.poll() is not None:
            raise RuntimeError(f"{proc.argv[0]} exited early:\n{proc.log()[-3000:]}")
        try:
            httpx.get(url, timeout=2.0)
            return time.monotonic() - start
        except httpx.TransportError:
            if time.monotonic() - start > timeout:
                raise
            time.sleep(0.1)


def console_script(name: str) -> str:
    return str(BIN_DIR / name)


@contextlib.contextmanager
def silent_socket_server() -> Iterator[str]:
    """A peer that accepts connections and never answers: the worst kind of 'down'."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()
