"""What the common stack (request ids, metrics, access log, error guard) costs per request.

Baseline: the same trivial endpoint on a bare FastAPI app, measured in the same run,
alternating rounds so machine noise hits both. Reported as a throughput ratio.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx
from fastapi import FastAPI

from fltr_shared.app_factory import install_common
from fltr_shared.logging import configure_logging

REQUESTS = 2000
ROUNDS = 3
TARGET_RATIO = 0.5  # the stack may at most halve the throughput of an empty endpoint


def build(with_stack: bool) -> FastAPI:
    app = FastAPI()
    if with_stack:
        install_common(app, service="bench")

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"status": "ok"}

    return app


async def requests_per_second(app: FastAPI) -> float:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for _ in range(50):  # warm up
            await client.get("/ping")
        start = time.perf_counter()
        for _ in range(REQUESTS):
            response = await client.get("/ping")
            response.raise_for_status()
        return REQUESTS / (time.perf_counter() - start)


async def run() -> dict[str, Any]:
    # The access log is part of the cost, but not its terminal output.
    configure_logging("INFO", "json")
    logging.getLogger().handlers = [logging.NullHandler()]
    bare_app, stack_app = build(False), build(True)
    bare, stack = [], []
    for _ in range(ROUNDS):
        bare.append(await requests_per_second(bare_app))
        stack.append(await requests_per_second(stack_app))
    ratio = max(stack) / max(bare)
    return {
        "baseline_rps": round(max(bare), 1),
        "fltr_stack_rps": round(max(stack), 1),
        "ratio": round(ratio, 3),
        "target_ratio_at_least": TARGET_RATIO,
        "meets_target": ratio >= TARGET_RATIO,
        "requests_per_round": REQUESTS,
        "rounds": ROUNDS,
    }
