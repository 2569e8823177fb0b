"""Write ``api_usage`` rows without slowing the responses that made them.

``UsageMiddleware`` gives each request a slot; the search, chunk and MCP endpoints fill it
with a ``UsageDraft`` (who, which datasets, credits, tokens). Once the response has been sent
the middleware turns the draft into rows (with the status and the time taken) and hands them
to ``UsageRecorder``, a bounded in-memory buffer that a lifespan task writes in batches every
``USAGE_FLUSH_SECONDS``, and once more at shutdown. When the buffer is full the oldest rows are
dropped and the drop is logged: usage is analytics, the ledger is the bill.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import structlog
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fltr_content.callers.resolver import Caller
from fltr_content.usage import repository
from fltr_shared.db import Database, utcnow
from fltr_shared.request_id import current_request_id

logger = structlog.get_logger(__name__)

STATE_KEY = "fltr_usage"
BATCH_SIZE = 500


@dataclass
class UsageDraft:
    """What an endpoint knows about its call; the middleware adds status and timing."""

    endpoint: str
    method: str
    request_id: str | None
    caller: Caller | None = None
    # one row per dataset (a cross-dataset search writes one per dataset searched)
    dataset_ids: list[str | None] = field(default_factory=lambda: [None])
    credits_each: int = 0
    tokens: int | None = None


def track(request: Request, endpoint: str) -> UsageDraft:
    """Start (or return) the request's draft; rows are written only once it names a caller."""
    existing = getattr(request.state, STATE_KEY, None)
    if isinstance(existing, UsageDraft):
        return existing
    draft = UsageDraft(endpoint=endpoint, method=request.method, request_id=current_request_id())
    setattr(request.state, STATE_KEY, draft)
    return draft


def draft_of(state: dict[str, Any]) -> UsageDraft | None:
    draft = state.get(STATE_KEY)
    return draft if isinstance(draft, UsageDraft) else None


class UsageRecorder:
    def __init__(self, database: Database, *, max_rows: int, flush_seconds: float) -> None:
        self._database = database
        self._rows: deque[dict[str, Any]] = deque(maxlen=max_rows)
        self._flush_seconds = flush_seconds
        self._dropped = 0
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._paused = False

    def add(self, draft: UsageDraft, status_code: int, response_time_ms: int) -> None:
        if draft.caller is None:
            return
        now = utcnow()
        for dataset_id in draft.dataset_ids:
            if len(self._rows) == self._rows.maxlen:
                self._dropped += 1
            self._rows.append(
                {
                    "api_key_id": draft.caller.api_key_id,
                    "user_id": draft.caller.user_id,
                    "dataset_id": dataset_id,
                    "endpoint": draft.endpoint,
                    "method": draft.method,
                    "status_code": status_code,
                    "response_time_ms": response_time_ms,
                    "tokens_used": draft.tokens,
                    "credits": draft.credits_each,
                    "request_id": draft.request_id,
                    "created_at": now,
                }
            )

    def __len__(self) -> int:
        return len(self._rows)

    async def flush(self) -> int:
        """Write every buffered row now; returns how many were written."""
        written = 0
        async with self._lock:
            while self._rows:
                batch = [self._rows.popleft() for _ in range(min(BATCH_SIZE, len(self._rows)))]
                try:
                    async with self._database.transaction() as session:
                        await repository.insert_rows(session, batch)
                except Exception as exc:
                    logger.error("api_usage_write_failed", rows=len(batch), error=repr(exc))
                    return written
                written += len(batch)
        if self._dropped:
            logger.warning("api_usage_rows_dropped", rows=self._dropped, reason="buffer_full")
            self._dropped = 0
        return written

    def pause(self) -> None:
        """Stop the periodic writes (tests write explicitly with ``flush``)."""
        self._paused = True

    def resume(self) -> None:
        self._paused = False

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._flush_seconds)
            if self._rows and not self._paused:
                await self.flush()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="api-usage-flush")

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.flush()


class UsageMiddleware:
    """Pure ASGI: measures the call and records its draft after the response is sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # created here so every inner layer (and the MCP transport) shares this dict
        state: dict[str, Any] = scope.setdefault("state", {})
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            draft = draft_of(state)
            if draft is not None:
                recorder: UsageRecorder | None = getattr(scope["app"].state, "usage", None)
                if recorder is not None:
                    elapsed = round((time.perf_counter() - started) * 1000)
                    recorder.add(draft, status, elapsed)
