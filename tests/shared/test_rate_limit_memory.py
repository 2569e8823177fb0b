"""The in-memory rate limit storage (no ``REDIS_URL``): the moving window of ``limits``, with
expired entries pruned on the event loop instead of in worker threads."""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Callable
from typing import Any

import pytest

from fltr_shared import rate_limit
from fltr_shared.rate_limit import InlineMemoryStorage, RateLimiter

pytestmark = pytest.mark.core


class _CountingExecutor(concurrent.futures.ThreadPoolExecutor):
    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.submitted = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


async def test_counting_requests_hands_no_work_to_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    executor = _CountingExecutor()
    asyncio.get_running_loop().set_default_executor(executor)
    monkeypatch.setattr(rate_limit, "EXPIRE_EVERY_SECONDS", 0.0)  # prune on every hit
    limiter = RateLimiter()
    for n in range(20):
        window = await limiter.check("100/minute", "api_key", f"key-{n % 3}")
        assert window.allowed
        await asyncio.sleep(0)  # let anything the storage scheduled run
    assert executor.submitted == 0


async def test_the_window_is_exact_and_refusals_name_the_wait() -> None:
    limiter = RateLimiter()
    answers = [await limiter.check("3/minute", "user", "u1") for _ in range(5)]
    assert [a.allowed for a in answers] == [True, True, True, False, False]
    assert [a.remaining for a in answers[:3]] == [2, 1, 0]
    assert 1 <= answers[-1].reset_after <= 60
    # another identity has its own window
    assert (await limiter.check("3/minute", "user", "u2")).allowed


async def test_expired_entries_are_pruned_and_the_window_reopens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rate_limit, "EXPIRE_EVERY_SECONDS", 0.0)
    limiter = RateLimiter()
    storage = limiter._storage
    assert isinstance(storage, InlineMemoryStorage)
    assert (await limiter.check("2/second", "user", "old")).allowed
    assert (await limiter.check("2/second", "user", "old")).allowed
    assert not (await limiter.check("2/second", "user", "old")).allowed
    assert any("old" in key for key in storage.events)
    await asyncio.sleep(1.1)
    # a hit on another key prunes the expired one away
    assert (await limiter.check("2/second", "user", "new")).allowed
    assert not any("old" in key for key in storage.events)
    assert (await limiter.check("2/second", "user", "old")).allowed


def test_pruning_keeps_live_entries() -> None:
    storage = InlineMemoryStorage()

    async def fill() -> None:
        for _ in range(3):
            assert await storage.acquire_entry("k", limit=10, expiry=60)

    asyncio.run(fill())
    storage.prune()
    assert len(storage.events["k"]) == 3
    for entry in storage.events["k"]:
        entry.expiry = time.time() - 1
    storage.prune()
    assert "k" not in storage.events
