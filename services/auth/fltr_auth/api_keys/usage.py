"""``last_used_at`` without a write per request.

Each verified use is recorded in memory (:class:`UsageRecorder`, the latest time per key);
:class:`LastUsedFlusher` writes what has gathered in one UPDATE every
``API_KEY_LAST_USED_FLUSH_SECONDS`` and once more at shutdown. A crash loses at most one
interval of last-used times, never anything else. The flush runs on its own connection
(not a request's transaction), so it never waits on or joins a request.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from fltr_auth.api_keys import repository

logger = structlog.get_logger(__name__)

ConnectionFactory = Callable[[], AbstractAsyncContextManager[AsyncConnection]]


class UsageRecorder:
    """The latest use of each key since the last flush (one process)."""

    def __init__(self) -> None:
        self._pending: dict[str, datetime] = {}

    def record(self, api_key_id: str, when: datetime) -> None:
        previous = self._pending.get(api_key_id)
        if previous is None or when > previous:
            self._pending[api_key_id] = when

    def last_seen(self, api_key_id: str) -> datetime | None:
        """A use not yet written, if any (lists show it before the flush does)."""
        return self._pending.get(api_key_id)

    def take(self) -> dict[str, datetime]:
        pending, self._pending = self._pending, {}
        return pending

    def give_back(self, uses: dict[str, datetime]) -> None:
        """Put back uses a failed flush could not write (newer ones win)."""
        for api_key_id, when in uses.items():
            self.record(api_key_id, when)

    def __len__(self) -> int:
        return len(self._pending)


class LastUsedFlusher:
    """Writes a :class:`UsageRecorder`'s uses periodically; :meth:`run` is the lifespan's
    background task and ends, after a last flush, once :meth:`stop` is called."""

    def __init__(
        self, recorder: UsageRecorder, connect: ConnectionFactory, interval_seconds: float
    ) -> None:
        self._recorder = recorder
        self._connect = connect
        self._interval = interval_seconds
        self._stopping = asyncio.Event()

    async def flush(self) -> int:
        """Write every pending use now; the number of keys updated."""
        uses = self._recorder.take()
        if not uses:
            return 0
        try:
            async with self._connect() as conn:
                return await repository.touch_last_used(conn, uses)
        except Exception as exc:
            self._recorder.give_back(uses)
            logger.warning("api_key_last_used_flush_failed", keys=len(uses), error=repr(exc))
            return 0

    async def run(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._interval)
            await self.flush()
        await self.flush()  # uses recorded while the last one was being written

    def stop(self) -> None:
        self._stopping.set()
