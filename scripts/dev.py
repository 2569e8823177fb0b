"""``make run``: FLTR on the embedded default, both services on one machine, no servers.

Applies both services' migrations, starts both (real processes), waits until each /health
answers, prints the URLs, and on Ctrl-C (or SIGTERM) stops both and exits 0.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

import httpx

from fltr_auth.settings import AuthSettings
from fltr_content.settings import ContentSettings

BIN = Path(sys.executable).parent
START_TIMEOUT = 60.0


def run(*argv: str, env: dict[str, str]) -> None:
    subprocess.run([str(BIN / argv[0]), *argv[1:]], env=env, check=True)


def spawn(script: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(BIN / script), "serve"], env=env, process_group=0)


def wait_healthy(name: str, url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{name} exited with code {proc.returncode} while starting")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{name} did not become healthy at {url}/health in {START_TIMEOUT:.0f}s")


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> int:
    auth = AuthSettings()
    env = dict(os.environ)
    env.setdefault("LOG_FORMAT", "console")  # people read these logs; production keeps JSON
    auth_url = f"http://{auth.host}:{auth.port}"
    # Content must call the auth service where it actually listens, unless told otherwise.
    if not any(k in env for k in ("AUTH_SERVICE_URL", "FLTR_CONTENT_AUTH_SERVICE_URL")):
        env["FLTR_CONTENT_AUTH_SERVICE_URL"] = auth_url
    content = ContentSettings()
    content_url = f"http://{content.host}:{content.port}"

    run("fltr-auth", "db", "upgrade", env=env)
    run("fltr-content", "db", "upgrade", env=env)

    procs: list[subprocess.Popen[bytes]] = []
    stopping = False

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        # Own process groups: a terminal's Ctrl-C reaches only us, and we stop each child
        # once, gracefully (a second SIGINT would make uvicorn skip its graceful shutdown).
        procs.append(spawn("fltr-auth", env))
        wait_healthy("auth service", auth_url, procs[0])
        procs.append(spawn("fltr-content", env))
        wait_healthy("content service", content_url, procs[1])
        print(
            f"\nFLTR is running (embedded default, files in {auth.var_dir.resolve()}):\n"
            f"  auth service     {auth_url}   (docs: {auth_url}/docs)\n"
            f"  content service  {content_url}   (docs: {content_url}/docs)\n"
            "Press Ctrl-C to stop.\n",
            flush=True,
        )
        while not stopping:
            for proc in procs:
                if proc.poll() is not None:
                    print(f"{proc.args[0]} exited with code {proc.returncode}", file=sys.stderr)
                    return 1
            time.sleep(0.3)
    finally:
        stop(procs)
    print("FLTR stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
