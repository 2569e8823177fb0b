"""Rate limits with the ``limits`` library: Redis when configured (shared by every process),
memory otherwise. A limit that is hit raises :class:`RateLimited` with ``Retry-After`` and
the ``RateLimit-*`` headers (IETF draft), so clients know when to come back.

:meth:`RateLimiter.check` counts a request and returns the window's state instead of raising,
for callers that put ``RateLimit-*`` headers on every response; a storage that cannot be
reached raises :class:`RateLimitStorageUnavailable` there, and the caller decides whether
to fail open.

Without Redis the counts live in this process, in :class:`InlineMemoryStorage` (see there).
"""

from __future__ import annotations

import bisect
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


# How often the in-memory storage drops expired entries: a second's worth of stale entries is
# all that can pile up, and pruning walks every key, so it must not run on every hit.
EXPIRE_EVERY_SECONDS = 1.0


class InlineMemoryStorage(MemoryStorage):
    """``limits``' asyncio memory storage, with its pruning done on the event loop, at most
    once every ``EXPIRE_EVERY_SECONDS``.

    The stock storage (limits 5.8) starts a pruning task after every hit, and that task hands
    each key's bisect to a worker thread (``asyncio.to_thread``): two thread hops per request
    for microseconds of work. Each hop waits for the interpreter lock behind whatever holds it
    (in a search, the query embedding's thread), which measured 1-2.5 ms of a REST search here.
    Pruning only frees memory: the moving window itself is decided from the entries' times in
    ``acquire_entry`` and ``get_moving_window``, unchanged. The pruning has no ``await``, so no
    hit can interleave with it and the per-key locks are not needed for it.
    """

    def __init__(self) -> None:
        super().__init__()
        self._pruned_at = time.monotonic()

    # replaces the name-mangled ``MemoryStorage.__schedule_expiry`` that incr, decr and
    # acquire_entry call on every hit (limits is pinned in uv.lock; tests/shared covers it)
    async def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now - self._pruned_at >= EXPIRE_EVERY_SECONDS:
            self._pruned_at = now
            self.prune()

    def prune(self) -> None:
        """Drop expired moving-window entries and counters now."""
        now = time.time()
        for key in list(self.events):
            events = self.events[key]
            # newest first: the expired entries are the tail
            del events[bisect.bisect_left(events, -now, key=lambda entry: -entry.expiry) :]
            if not events:
                self.events.pop(key, None)
                self.locks.pop(key, None)
        for key, expires in list(self.expirations.items()):
            if expires <= now:
                self.storage.pop(key, None)
                self.expirations.pop(key, None)
                self.locks.pop(key, None)


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
            self._storage = InlineMemoryStorage()
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
