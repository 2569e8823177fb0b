"""Helpers of the credit-ledger tests: internal calls, owners made in SQL, ledger checks."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, text

from fltr_auth.api_keys.models import ApiKey
from fltr_auth.credits import service
from fltr_auth.credits.models import CreditAccount, CreditOperation, CreditTransaction
from fltr_auth.users.models import User
from fltr_shared.db import Database, utcnow
from tests.support import TEST_SERVICE_TOKEN

INTERNAL = {"Authorization": f"Bearer {TEST_SERVICE_TOKEN}"}
CREDITS = "/internal/v1/credits"


def new_key(prefix: str = "k") -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


async def make_user(database: Database) -> str:
    """A user row, made directly (no password hashing): the ledger only needs the id."""
    user_id = uuid.uuid4().hex
    async with database.transaction() as db:
        db.add(User(id=user_id, name="Ledger", email=f"{user_id}@example.com"))
    return user_id


async def make_api_key(
    database: Database,
    *,
    user_id: str | None = None,
    organization_id: str | None = None,
    spend_cap: int | None = None,
    period: str | None = None,
) -> str:
    key_id = uuid.uuid4().hex
    async with database.transaction() as db:
        db.add(
            ApiKey(
                id=key_id,
                name="agent",
                prefix="fltr_test",
                key_hash=uuid.uuid4().hex,
                user_id=user_id,
                organization_id=organization_id,
                scopes=["read"],
                spend_cap=spend_cap,
                spend_cap_period=period,
            )
        )
    return key_id


async def revoke_api_key(database: Database, key_id: str) -> None:
    async with database.transaction() as db:
        key = await db.get(ApiKey, key_id)
        assert key is not None
        key.revoked_at = utcnow()


async def post(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], expect: int | None = None
) -> httpx.Response:
    response = await client.post(f"{CREDITS}{path}", json=body, headers=INTERNAL)
    if expect is not None:
        assert response.status_code == expect, response.text
    return response


async def grant(client: httpx.AsyncClient, user_id: str, amount: int, **extra: Any) -> Any:
    body = {"user_id": user_id, "amount": amount, "idempotency_key": new_key(), "reason": "test"}
    return (await post(client, "/grant", {**body, **extra}, 200)).json()


async def pools(client: httpx.AsyncClient, user_id: str) -> dict[str, Any]:
    response = await client.get(f"{CREDITS}/balance", params={"user_id": user_id}, headers=INTERNAL)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def snapshot(database: Database) -> tuple[Any, ...]:
    """Everything a refused request must leave alone: pools, entries, operations, holds."""
    async with database.transaction() as db:
        accounts = (
            await db.execute(
                select(
                    CreditAccount.id,
                    CreditAccount.allowance,
                    CreditAccount.purchased,
                    CreditAccount.reserved,
                    CreditAccount.total_purchased,
                ).order_by(CreditAccount.id)
            )
        ).all()
        entries = (await db.execute(select(func.count()).select_from(CreditTransaction))).scalar()
        ops = (await db.execute(select(func.count()).select_from(CreditOperation))).scalar()
        holds = (
            await db.execute(text("SELECT id, status, captured FROM credit_holds ORDER BY id"))
        ).all()
    return tuple(accounts), entries, ops, tuple(holds)


async def ledger_problems(app: FastAPI) -> list[str]:
    async with app.state.db.transaction() as db:
        return await service.ledger_problems(db)
