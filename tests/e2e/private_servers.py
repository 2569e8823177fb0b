"""PostgreSQL and Redis servers owned by one test, so the test can stop and restart them.

The machine's shared servers (127.0.0.1:5432, :6379) serve every other test and helper at the
same time; a fault test must never stop those. These run from the same binaries on free ports
with their data in a throwaway folder.
"""

from __future__ import annotations

import asyncio
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import asyncpg
import redis

from fltr_shared import migrations
from tests.support import ServiceProcess, free_port


def postgres_bindir() -> Path | None:
    """The folder of initdb/pg_ctl: pg_config's, else the newest /usr/lib/postgresql/*/bin."""
    candidates: list[str] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True
            )
            candidates.append(out.stdout.strip())
        except (OSError, subprocess.CalledProcessError):
            pass
    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True
    )
    for folder in candidates:
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def why_no_private_postgres() -> str | None:
    """None when a private PostgreSQL can be started here; otherwise the reason to skip."""
    if postgres_bindir() is None:
        return "no PostgreSQL server binaries (initdb, pg_ctl) on this machine"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run the server as"
    return None


class PrivatePostgres:
    """initdb into a fresh folder, then start/stop it with pg_ctl on a free port.

    PostgreSQL refuses to run as root, so as root the folder belongs to ``postgres`` and the
    commands run through ``runuser``. The folder is made with ``mkdtemp`` (not pytest's
    ``tmp_path``, whose parents are private to root and not traversable by ``postgres``).
    """

    def __init__(self) -> None:
        bindir = postgres_bindir()
        assert bindir is not None, why_no_private_postgres()
        self.bindir = bindir
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="fltr-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        argv = [str(self.bindir / tool), *args]
        if self._as_postgres:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if check and result.returncode != 0:
            raise RuntimeError(f"{tool} failed: {result.stdout}\n{result.stderr}")
        return result

    def start(self) -> float:
        """Start the server and wait until it accepts connections; return the seconds taken."""
        began = time.monotonic()
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=100"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        return time.monotonic() - began

    def stop(self, mode: str = "fast") -> float:
        """``fast`` ends sessions with "terminating connection due to administrator command";
        ``immediate`` kills them without a goodbye (a crash, as clients see it)."""
        began = time.monotonic()
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)
        return time.monotonic() - began

    def admin_dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def database(self, name: str, spec: migrations.MigrationSpec | None = None) -> str:
        """Create ``name`` (migrated with ``spec`` when given); its SQLAlchemy asyncpg URL.

        Blocking, and not to be called from a running event loop (the migrations run their
        own): call it through ``asyncio.to_thread`` from async code.
        """

        async def create() -> None:
            conn = await asyncpg.connect(self.admin_dsn())
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()

        asyncio.run(create())
        url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{name}"
        if spec is not None:
            migrations.upgrade(spec, url)
        return url

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRedis:
    """``redis-server`` as a child process on a free port, without persistence: a restart
    comes back empty, as a broker that lost its queue would."""

    def __init__(self, log_path: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        binary = shutil.which("redis-server")
        assert binary is not None, "redis-server is not installed"
        self.process = ServiceProcess(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            dict(os.environ),
            log_path,
        )

    def start(self, timeout: float = 10.0) -> None:
        self.process.start()
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                assert time.monotonic() < deadline, self.process.log()
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self) -> None:
        if self.process.proc is not None:
            self.process.stop()
