"""Rate limits with the ``limits`` library: Redis when configured (shared by every process),
memory otherwise. A limit that is hit raises :class:`RateLimited` with ``Retry-After`` and
the ``RateLimit-*`` headers (IETF draft), so clients know when to come back.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import ConnectionPool

from fltr_shared.errors import RateLimited


class RateLimiter:
    def __init__(self, redis_url: str | None = None, *, namespace: str = "fltr") -> None:
        self._pool: ConnectionPool | None = None
        self._storage: Storage
        if redis_url:
            # Our own pool, so the lifespan can close it; limits names its asyncio Redis
            # backend with an "async+" scheme prefix.
            self._pool = ConnectionPool.from_url(redis_url, socket_timeout=2)
            self._storage = RedisStorage(
                "async+" + redis_url,
                implementation="redispy",
                connection_pool=self._pool,  # type: ignore[arg-type]  # limits types options narrowly
            )
        else:
            self._storage = MemoryStorage()
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._namespace = namespace
        self._parsed: dict[str, RateLimitItem] = {}

    def _item(self, limit: str) -> RateLimitItem:
        item = self._parsed.get(limit)
        if item is None:
            item = self._parsed[limit] = parse(limit)
        return item

    async def hit(self, limit: str, scope: str, identifier: str) -> None:
        """Count one request against ``limit`` (e.g. ``"10/minute"``); 429 when over it."""
        item = self._item(limit)
        if await self._limiter.hit(item, self._namespace, scope, identifier):
            return
        stats = await self._limiter.get_window_stats(item, self._namespace, scope, identifier)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(
            f"Too many requests; try again in {retry_after} s.",
            headers={
                "Retry-After": str(retry_after),
                "X-Retry-After": str(retry_after),  # what Better Auth's client reads
                "RateLimit-Limit": str(item.amount),
                "RateLimit-Remaining": "0",
                "RateLimit-Reset": str(retry_after),
            },
        )

    async def reset(self) -> None:
        await self._storage.reset()

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
