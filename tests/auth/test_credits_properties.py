"""Property tests of the ledger rules (hypothesis): random sequences of grants, deductions,
holds, captures, releases, expiries and retries, checked against a model after every step.

Always: no pool below zero, reserved == what open holds hold, entries sum to each pool, each
idempotency key applied at most once (a retry of a success answers alike and moves nothing).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from fltr_auth.credits import service
from fltr_auth.credits.models import CreditOperation, CreditTransaction
from fltr_auth.credits.repository import Pools
from fltr_auth.users.models import User
from fltr_shared.db import utcnow
from fltr_shared.errors import AppError

pytestmark = pytest.mark.core

USERS = 2
TTL = timedelta(hours=1)

amounts = st.integers(min_value=1, max_value=40)
steps = st.one_of(
    st.tuples(st.just("grant"), st.integers(0, USERS - 1), st.integers(1, 80), st.booleans()),
    st.tuples(st.just("deduct"), st.integers(0, USERS - 1), amounts),
    st.tuples(st.just("hold"), st.integers(0, USERS - 1), amounts),
    st.tuples(st.just("capture"), st.integers(0, 7), amounts),
    st.tuples(st.just("release"), st.integers(0, 7)),
    st.tuples(st.just("retry"), st.integers(0, 30)),
    st.tuples(st.just("retry_other_amount"), st.integers(0, 30)),
    st.tuples(
        st.just("expire"),
    ),
)


@dataclass
class Model:
    pools: dict[str, list[int]]  # account -> [allowance, purchased, reserved]
    holds: dict[str, tuple[str, int]] = field(default_factory=dict)  # open: id -> (user, amt)
    hold_ids: list[str] = field(default_factory=list)
    # (the call, its first answer, the same key on another request)
    calls: list[tuple[Any, Any, Any]] = field(default_factory=list)

    def available(self, user: str) -> int:
        allowance, purchased, reserved = self.pools[user]
        return allowance + purchased - reserved

    def take(self, user: str, amount: int) -> None:
        pools = self.pools[user]
        from_allowance = min(pools[0], amount)
        pools[0] -= from_allowance
        pools[1] -= amount - from_allowance


@asynccontextmanager
async def example(app: FastAPI) -> AsyncIterator[AsyncConnection]:
    """One connection in one transaction, rolled back after the example."""
    async with app.state.db.engine.connect() as conn:
        outer = await conn.begin()
        try:
            yield conn
        finally:
            await outer.rollback()


async def run(
    conn: AsyncConnection, call: Callable[[AsyncSession], Awaitable[service.Result]]
) -> service.Result | AppError:
    """One request: its own savepoint, rolled back when the service refuses."""
    try:
        async with (
            AsyncSession(
                bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
            ) as db,
            db.begin(),
        ):
            return await call(db)
    except AppError as exc:
        return exc


async def observed(conn: AsyncConnection, users: list[str]) -> dict[str, list[int]]:
    async with AsyncSession(bind=conn, join_transaction_mode="create_savepoint") as db:
        out = {}
        for user in users:
            balance = await service.balance(db, service.Owner("user", user))
            pools: Pools = balance.pools
            out[user] = [pools.allowance, pools.purchased, pools.reserved]
        return out


async def check_invariants(conn: AsyncConnection, model: Model, users: list[str]) -> None:
    assert await observed(conn, users) == model.pools
    rows = await conn.execute(
        text(
            "SELECT a.user_id, a.allowance, a.purchased, a.reserved,"
            " (SELECT COALESCE(SUM(t.amount), 0) FROM credit_transactions t"
            "   WHERE t.account_id = a.id AND t.pool = 'allowance'),"
            " (SELECT COALESCE(SUM(t.amount), 0) FROM credit_transactions t"
            "   WHERE t.account_id = a.id AND t.pool = 'purchased'),"
            " (SELECT COALESCE(SUM(h.amount), 0) FROM credit_holds h"
            "   WHERE h.account_id = a.id AND h.status = 'held')"
            " FROM credit_accounts a WHERE a.user_id IN :users"
        ).bindparams(bindparam("users", expanding=True)),
        {"users": users},
    )
    for user, allowance, purchased, reserved, in_allowance, in_purchased, held in rows:
        assert min(allowance, purchased, reserved) >= 0, user
        assert allowance + purchased - reserved >= 0, user
        assert (in_allowance, in_purchased) == (allowance, purchased), user
        assert reserved == held, user
    duplicates = await conn.execute(
        select(CreditOperation.account_id, CreditOperation.idempotency_key)
        .group_by(CreditOperation.account_id, CreditOperation.idempotency_key)
        .having(func.count() > 1)
    )
    assert duplicates.all() == []
    # every entry belongs to an operation, and every key moved credits under one operation
    orphans = await conn.execute(
        select(func.count())
        .select_from(CreditTransaction)
        .where(CreditTransaction.operation_id.is_(None))
    )
    assert orphans.scalar() == 0


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(plan=st.lists(steps, min_size=1, max_size=25))
async def test_ledger_rules_hold_for_any_sequence(
    auth_app: FastAPI, plan: list[tuple[Any, ...]]
) -> None:
    async with example(auth_app) as conn:
        users = [uuid.uuid4().hex for _ in range(USERS)]
        for user in users:
            await conn.execute(
                User.__table__.insert().values(id=user, name="P", email=f"{user}@example.com")
            )
        model = Model(pools={user: [0, 0, 0] for user in users})
        await check_invariants(conn, model, users)
        for step in plan:
            await apply(conn, model, users, step)
            await check_invariants(conn, model, users)


Call = Callable[[AsyncSession], Awaitable[service.Result]]


async def apply(
    conn: AsyncConnection, model: Model, users: list[str], step: tuple[Any, ...]
) -> None:
    kind, key = step[0], uuid.uuid4().hex
    if kind in ("grant", "deduct", "hold"):
        user, amount = users[step[1]], step[2]
        owner = service.Owner("user", user)

        def call_with(amount: int) -> Call:
            async def call(db: AsyncSession) -> service.Result:
                if kind == "grant":
                    pool = "allowance" if step[3] else "purchased"
                    return await service.grant(db, owner, amount, key, reason="p", pool=pool)
                if kind == "deduct":
                    return await service.deduct(db, owner, amount, key, operation="p")
                return await service.hold(db, owner, amount, key, ttl=TTL)

            return call

        enough = kind == "grant" or model.available(user) >= amount
        result = await run(conn, call_with(amount))
        if not enough:
            assert isinstance(result, AppError)
            assert result.code == "insufficient_credits"
        else:
            assert isinstance(result, service.Result), result
            if kind == "grant":
                model.pools[user][0 if step[3] else 1] += amount
            elif kind == "deduct":
                model.take(user, amount)
            else:
                model.pools[user][2] += amount
                model.holds[result.body["hold_id"]] = (user, amount)
                model.hold_ids.append(result.body["hold_id"])
        model.calls.append((call_with(amount), result, call_with(amount + 1)))
    elif kind in ("capture", "release") and model.hold_ids:
        hold_id = model.hold_ids[step[1] % len(model.hold_ids)]
        amount = step[2] if kind == "capture" else 0

        def close(capturing: bool, amount: int) -> Call:
            async def call(db: AsyncSession) -> service.Result:
                if capturing:
                    return await service.capture(db, hold_id, amount, key)
                return await service.release(db, hold_id, key)

            return call

        open_hold = model.holds.get(hold_id)
        result = await run(conn, close(kind == "capture", amount))
        if open_hold is not None and amount <= open_hold[1]:
            assert isinstance(result, service.Result), result
            user, held = model.holds.pop(hold_id)
            model.pools[user][2] -= held
            if kind == "capture":
                model.take(user, amount)
        else:
            assert isinstance(result, AppError)
            assert result.status_code == 409
        # the same key on another request: another amount, or a capture for a release
        model.calls.append((close(kind == "capture", amount), result, close(True, amount + 1)))
    elif kind == "retry" and model.calls:
        call, first, _ = model.calls[step[1] % len(model.calls)]
        if isinstance(first, service.Result):
            before = await observed(conn, users)
            again = await run(conn, call)
            assert isinstance(again, service.Result)
            assert again.replayed
            assert again.body == first.body
            assert await observed(conn, users) == before
    elif kind == "retry_other_amount" and model.calls:
        _, first, other = model.calls[step[1] % len(model.calls)]
        if isinstance(first, service.Result):
            before = await observed(conn, users)
            refused = await run(conn, other)
            assert isinstance(refused, AppError)
            assert refused.code == "idempotency_conflict"
            assert await observed(conn, users) == before
    elif kind == "expire" and model.holds:

        async def expire(db: AsyncSession) -> service.Result:
            count = await service.expire_holds(db, now=utcnow() + TTL + timedelta(minutes=1))
            return service.Result({"expired": count})

        result = await run(conn, expire)
        assert isinstance(result, service.Result)
        assert result.body["expired"] >= len(model.holds)
        for user, held in model.holds.values():
            model.pools[user][2] -= held
        model.holds.clear()
