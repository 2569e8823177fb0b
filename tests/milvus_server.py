"""Milvus Lite's C++ server on a TCP port, standing in for a Milvus server: several processes
(content service, Celery workers) connect to it by URI, the same client path as production.
A Milvus Lite file cannot be opened by two processes (see the shared docs, milvus-processes)."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import milvus_lite

from tests.support import ServiceProcess, free_port

LIB_DIR = Path(milvus_lite.__file__).parent / "lib"


def milvus_server(data_file: Path, log_path: Path) -> tuple[ServiceProcess, str]:
    port = free_port()
    env = {**os.environ, "LD_LIBRARY_PATH": f"{LIB_DIR}:{os.environ.get('LD_LIBRARY_PATH', '')}"}
    process = ServiceProcess(
        [str(LIB_DIR / "milvus"), str(data_file), f"127.0.0.1:{port}", "ERROR"], env, log_path
    )
    return process, f"http://127.0.0.1:{port}"


def wait_for_port(url: str, timeout: float = 20.0) -> None:
    host, port = url.removeprefix("http://").split(":")
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, int(port)), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
