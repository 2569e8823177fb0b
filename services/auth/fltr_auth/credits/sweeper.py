"""Release credit holds nobody captured or released before they expired.

A task of the auth app's lifespan runs :func:`sweep_expired_holds` every
``CREDIT_SWEEP_INTERVAL_SECONDS``. Every process may run one: each hold is expired by
exactly one sweeper (``SKIP LOCKED`` and a status re-check), so more processes only share
the work.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from fltr_auth.credits import service
from fltr_shared.db import Database

logger = structlog.get_logger(__name__)

#: holds expired per transaction (each batch commits on its own)
BATCH = 500


async def sweep_expired_holds(database: Database, *, batch: int = BATCH) -> int:
    """Expire every hold past its time, in batches; returns how many were released."""
    total = 0
    while True:
        async with database.transaction() as db:
            expired = await service.expire_holds(db, limit=batch)
        total += expired
        if expired < batch:
            return total


class HoldSweeper:
    """The periodic task; ``start`` in the lifespan, ``stop`` before the engine closes."""

    def __init__(self, database: Database, interval_seconds: float) -> None:
        self._database = database
        self._interval = interval_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._interval > 0 and self._task is None:
            self._task = asyncio.create_task(self._run(), name="credit-hold-sweeper")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                released = await sweep_expired_holds(self._database)
                if released:
                    logger.info("credit_holds_expired", count=released)
            except Exception:  # a bad round (database down) must not end the loop
                logger.exception("credit_hold_sweep_failed")
            await asyncio.sleep(self._interval)
