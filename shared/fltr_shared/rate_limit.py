"""Rate limits with the ``limits`` library: Redis when configured (shared by every process),
memory otherwise. A limit that is hit raises :class:`RateLimited` with ``Retry-After`` and
the ``RateLimit-*`` headers (IETF draft), so clients know when to come back.

:meth:`RateLimiter.check` counts a request and returns the window's state instead of raising,
for callers that put ``RateLimit-*`` headers on every response; a storage that cannot be
reached raises :class:`RateLimitStorageUnavailable` there, and the caller decides whether
to fail open.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError

from fltr_shared.errors import RateLimited


class RateLimitStorageUnavailable(Exception):
    """The limiter's storage (Redis) could not be reached; nothing was counted."""


@dataclass(frozen=True)
class WindowState:
    """One counted request: the limit, what is left of it, and when a slot frees up."""

    limit: int
    remaining: int
    reset_after: int  # whole seconds until the window has room again (0 when it has now)
    allowed: bool

    def headers(self) -> dict[str, str]:
        """``RateLimit-*`` (IETF draft, delta seconds), plus ``Retry-After`` when refused."""
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_after),
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, self.reset_after))
        return headers


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

    async def check(self, limit: str, scope: str, identifier: str) -> WindowState:
        """Count one request against ``limit`` and return the window's state (never raises
        :class:`RateLimited`; a refused request has ``allowed=False``).

        Raises :class:`RateLimitStorageUnavailable` when the storage cannot be reached.
        """
        item = self._item(limit)
        try:
            allowed = await self._limiter.hit(item, self._namespace, scope, identifier)
            stats = await self._limiter.get_window_stats(item, self._namespace, scope, identifier)
        except (RedisError, StorageError, OSError) as exc:
            raise RateLimitStorageUnavailable(type(exc).__name__) from exc
        reset_after = max(0, math.ceil(stats.reset_time - time.time()))
        if not allowed:
            reset_after = max(1, reset_after)
        return WindowState(
            limit=item.amount,
            remaining=max(0, stats.remaining),
            reset_after=reset_after,
            allowed=allowed,
        )

    async def reset(self) -> None:
        await self._storage.reset()

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
