"""Health endpoints' shared parts.

``GET /health/live`` answers from the process alone (an orchestrator restarts a process that
stops answering it, so it must never depend on a database that is merely slow).
``GET /health/ready`` and ``GET /health`` run the dependency checks (at once, each bounded by a
timeout) and answer 503 when one is down, so a load balancer stops sending traffic.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Literal

import structlog
from pydantic import BaseModel

logger = structlog.get_logger(__name__)

Check = Callable[[], Awaitable[None]]


class Liveness(BaseModel):
    status: Literal["alive"] = "alive"


class HealthReport(BaseModel):
    status: Literal["healthy", "degraded"]
    services: dict[str, str]

    @property
    def healthy(self) -> bool:
        return self.status == "healthy"


async def _run(name: str, check: Check, timeout: float) -> str:
    try:
        await asyncio.wait_for(check(), timeout)
    except TimeoutError:
        logger.warning("health_check_timeout", dependency=name, timeout=timeout)
        return "timeout"
    except Exception as exc:
        logger.warning("health_check_failed", dependency=name, error=type(exc).__name__)
        return "disconnected"
    return "connected"


async def run_checks(checks: Mapping[str, Check], timeout: float) -> HealthReport:
    """Run every check concurrently; the report is degraded if any is not connected."""
    names = list(checks)
    states = await asyncio.gather(*(_run(n, checks[n], timeout) for n in names))
    services = dict(zip(names, states, strict=True))
    healthy = all(state == "connected" for state in states)
    return HealthReport(status="healthy" if healthy else "degraded", services=services)
