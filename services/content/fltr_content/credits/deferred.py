"""Search charges that reach the ledger a moment after the answer, in batches.

Every search is still one ledger deduction with its own idempotency key, but when it is safe
the content service answers first and sends the deduction right after, with the others of the
last ``SEARCH_CHARGE_FLUSH_SECONDS``, in one ``POST /internal/v1/credits/deductions``. Taking
each charge before answering cost a search the ledger's round trip and, on the cores the search
shares with the auth service and PostgreSQL, a few milliseconds of their CPU (REST search
1.56x a raw Milvus search against 1.37x without the charge, measured here).

When it is safe: this process knows the payer's balance from a ledger answer of the last
``SEARCH_CHARGE_BALANCE_SECONDS``, and that balance, less the charges still on their way,
stays at least ``SEARCH_DEFERRED_MIN_BALANCE`` after this one. Otherwise the charge is taken
before answering, as always: the first search of a payer in a process, every search of a
payer near the end of their credits (so "no credits" is an exact 402), every search through
an API key with a spend cap, and every search while the ledger's last batch failed.

What it costs: a payer who spends their last credits elsewhere at the same moment (another
content process, an upload's hold) may get the searches of one flush free; each such refusal
is logged (``search_charge_refused_after_answer``) and counted, and that payer is charged
before answering from then on. Charges waiting in memory when the process is killed (not
stopped: a stop sends them) are lost, at most one flush's worth.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import structlog
from cachetools import TTLCache

from fltr_content.auth_client import AuthServiceClient
from fltr_content.credits.charges import Charges, LedgerRefused, Payer
from fltr_shared.errors import UpstreamUnavailable
from fltr_shared.metrics_catalog import DEFERRED_CHARGES

logger = structlog.get_logger(__name__)

BATCH_MAX = 200  # the auth service takes up to 500 a call
MAX_BACKOFF_SECONDS = 10.0


@dataclass
class _View:
    """What this process knows of a payer's credits."""

    balance: int  # spendable after the last ledger answer that named it
    learned_at: float  # monotonic
    pending: int = 0  # answered for, not yet settled by the ledger
    charge_first: bool = False  # a deferred charge was refused: no more deferring


@dataclass(frozen=True)
class _Charge:
    payer: Payer
    amount: int
    idempotency_key: str
    operation: str
    resource_id: str | None

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            **self.payer.fields(),
            "amount": self.amount,
            "idempotency_key": self.idempotency_key,
            "operation": self.operation,
        }
        if self.resource_id is not None:
            body["resource_id"] = self.resource_id
        return body


class DeferredCharges:
    def __init__(
        self,
        charges: Charges,
        auth: AuthServiceClient,
        *,
        min_balance: int,
        flush_seconds: float,
        balance_seconds: float,
    ) -> None:
        self._charges = charges
        self._auth = auth
        self._min_balance = min_balance
        self._flush_seconds = flush_seconds
        self._views: TTLCache[Payer, _View] = TTLCache(maxsize=100_000, ttl=balance_seconds)
        self._balance_seconds = balance_seconds
        self._queue: deque[_Charge] = deque()
        self._ledger_ok = True  # False from a failed batch until the ledger answers again
        self._failures = 0
        self._lock = asyncio.Lock()  # one batch on its way at a time
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._paused = False

    @property
    def pending(self) -> int:
        """Charges answered for and not yet sent to the ledger."""
        return len(self._queue)

    async def charge(
        self,
        payer: Payer,
        amount: int,
        idempotency_key: str,
        *,
        operation: str,
        resource_id: str | None,
        may_defer: bool = True,
    ) -> bool:
        """Take ``amount``: queued for the next batch (True) when safe, else deducted now
        (False); raises ``LedgerRefused`` (402/409) or ``UpstreamUnavailable`` as a deduction
        does. ``may_defer=False`` for callers the ledger must check first (a key's spend cap).
        """
        view = self._views.get(payer)
        if may_defer and self._deferrable(view, amount):
            assert view is not None
            view.pending += amount
            self._queue.append(_Charge(payer, amount, idempotency_key, operation, resource_id))
            if len(self._queue) >= BATCH_MAX:
                self._wake.set()
            return True
        try:
            answer = await self._charges.deduct(
                payer, amount, idempotency_key, operation, resource_id=resource_id
            )
        except LedgerRefused as exc:
            self._ledger_ok = True
            if isinstance(exc.extra.get("balance"), int):
                self._learn(payer, exc.extra["balance"])
            raise
        self._ledger_ok = True
        self._learn(payer, int(answer["balance_after"]))
        return False

    def _deferrable(self, view: _View | None, amount: int) -> bool:
        if self._min_balance <= 0 or not self._ledger_ok or view is None or view.charge_first:
            return False
        if time.monotonic() - view.learned_at > self._balance_seconds:
            return False
        return view.balance - view.pending - amount >= self._min_balance

    def _learn(self, payer: Payer, balance: int) -> None:
        view = self._views.get(payer)
        if view is None:
            self._views[payer] = _View(balance=balance, learned_at=time.monotonic())
            return
        view.balance, view.learned_at = balance, time.monotonic()
        self._views[payer] = view  # and its time to live starts again

    async def flush(self) -> int:
        """Send every queued charge now, in batches; returns how many the ledger answered.
        Raises ``UpstreamUnavailable`` when it cannot be reached (the charges stay queued)."""
        answered = 0
        async with self._lock:
            while self._queue:
                batch = [self._queue.popleft() for _ in range(min(BATCH_MAX, len(self._queue)))]
                try:
                    status, body = await self._auth.credits_write(
                        "deductions", {"deductions": [c.body() for c in batch]}
                    )
                    if status != 200:
                        raise UpstreamUnavailable(
                            f"The auth service answered {status} to a batch of charges."
                        )
                except BaseException:
                    self._queue.extendleft(reversed(batch))  # first in line next time
                    self._ledger_ok = False
                    raise
                self._ledger_ok = True
                for queued, outcome in zip(batch, body["results"], strict=True):
                    self._settle(queued, outcome)
                answered += len(batch)
        return answered

    def _settle(self, queued: _Charge, outcome: dict[str, Any]) -> None:
        view = self._views.get(queued.payer)
        if view is not None:
            view.pending = max(0, view.pending - queued.amount)
        if outcome["status"] == 200:
            DEFERRED_CHARGES.labels("replayed" if outcome.get("replayed") else "ok").inc()
            if not outcome.get("replayed"):
                self._learn(queued.payer, int(outcome["deduction"]["balance_after"]))
            return
        error = outcome.get("error") or {}
        code = str(error.get("error", "refused"))
        DEFERRED_CHARGES.labels(code).inc()
        logger.warning(
            "search_charge_refused_after_answer",
            code=code,
            amount=queued.amount,
            idempotency_key=queued.idempotency_key,
            **queued.payer.fields(),
        )
        if code == "idempotency_conflict":
            # the key was used for another charge: not a sign the payer is out of credits
            return
        if view is not None:
            view.charge_first = True
            if isinstance(error.get("balance"), int):
                view.balance = error["balance"]

    async def _run(self) -> None:
        while True:
            delay = self._flush_seconds
            if self._failures:
                delay = min(MAX_BACKOFF_SECONDS, self._flush_seconds * 2**self._failures)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            self._wake.clear()
            if not self._queue or self._paused:
                continue
            try:
                await self.flush()
                self._failures = 0
            except UpstreamUnavailable as exc:
                self._failures += 1
                logger.warning(
                    "deferred_charges_not_sent",
                    queued=len(self._queue),
                    attempt=self._failures,
                    error=str(exc),
                )

    def pause(self) -> None:
        """Stop the timed sends (tests send explicitly with ``flush``)."""
        self._paused = True

    def resume(self) -> None:
        self._paused = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="deferred-charges")

    async def aclose(self) -> None:
        """Stop the background sends and send what is queued (once)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if not self._queue:
            return
        try:
            await self.flush()
        except UpstreamUnavailable as exc:
            logger.error(
                "deferred_charges_lost",
                charges=len(self._queue),
                credits=sum(c.amount for c in self._queue),
                error=str(exc),
            )
