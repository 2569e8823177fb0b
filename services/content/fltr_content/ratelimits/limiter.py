"""Count authenticated requests: per API key at the key's own ``rate_limit_per_minute``, per
user (sessions and JWTs) at ``USER_RATE_LIMIT_PER_MINUTE``, over a moving one-minute window
(the ``limits`` library; Redis when ``REDIS_URL`` is set, so every content process shares
the counts, and memory otherwise).

When Redis cannot be reached the request is let through (fail open): an outage of the
limiter's storage must not take the API down with it. Nothing is counted then and no
``RateLimit-*`` headers are sent; the outage is logged (at most once every
``LOG_EVERY_SECONDS``, with the number of requests let through since the last line).
"""

from __future__ import annotations

import time

import structlog

from fltr_content.callers.resolver import Caller
from fltr_shared.errors import RateLimited
from fltr_shared.rate_limit import RateLimiter, RateLimitStorageUnavailable, WindowState

logger = structlog.get_logger(__name__)

LOG_EVERY_SECONDS = 30.0


class CallerRateLimits:
    def __init__(self, limiter: RateLimiter, *, user_limit_per_minute: int) -> None:
        self._limiter = limiter
        self._user_limit = user_limit_per_minute
        self._last_logged = float("-inf")
        self._let_through = 0

    async def enforce(self, caller: Caller) -> WindowState | None:
        """Count one request of ``caller``: its window, None if the storage is down (fail
        open), or 429 :class:`RateLimited` with ``Retry-After`` when it is over the limit."""
        scope, identifier = caller.rate_limit_scope
        per_minute = caller.rate_limit_per_minute or self._user_limit
        try:
            window = await self._limiter.check(f"{per_minute}/minute", scope, identifier)
        except RateLimitStorageUnavailable as exc:
            self._unavailable(str(exc))
            return None
        if not window.allowed:
            raise RateLimited(
                f"Rate limit of {window.limit} requests per minute reached; "
                f"try again in {max(1, window.reset_after)} s.",
                headers=window.headers(),
            )
        return window

    def _unavailable(self, error: str) -> None:
        self._let_through += 1
        now = time.monotonic()
        if now - self._last_logged >= LOG_EVERY_SECONDS:
            logger.warning(
                "rate_limit_storage_unavailable",
                error=error,
                let_through=self._let_through,
                policy="fail_open",
            )
            self._last_logged = now
            self._let_through = 0

    async def aclose(self) -> None:
        await self._limiter.aclose()
