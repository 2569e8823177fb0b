"""The database itself guards the ledger: no negative pools, no edits to the log."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from tests.auth.helpers import sign_up

pytestmark = pytest.mark.core


async def test_transactions_are_append_only_and_pools_never_negative(
    auth_client: httpx.AsyncClient, auth_app: FastAPI
) -> None:
    account = await sign_up(auth_client)
    user_id = account.user["id"]
    db_ = auth_app.state.db
    async with db_.transaction() as db:
        await db.execute(
            text("INSERT INTO credit_accounts (id, user_id, purchased) VALUES ('a1', :u, 5)"),
            {"u": user_id},
        )
        await db.execute(
            text(
                "INSERT INTO credit_transactions"
                " (id, account_id, pool, amount, balance_after, kind)"
                " VALUES ('t1', 'a1', 'purchased', 5, 5, 'grant')"
            )
        )
    for statement in (
        "UPDATE credit_transactions SET amount = 500 WHERE id = 't1'",
        "DELETE FROM credit_transactions WHERE id = 't1'",
        "UPDATE credit_accounts SET purchased = -1 WHERE id = 'a1'",
        "UPDATE credit_accounts SET reserved = 6 WHERE id = 'a1'",
    ):
        with pytest.raises((DBAPIError, IntegrityError)):
            async with db_.transaction() as db:
                await db.execute(text(statement))
    async with db_.transaction() as db:
        amount = (
            await db.execute(text("SELECT amount FROM credit_transactions WHERE id = 't1'"))
        ).scalar_one()
        balance = (await db.execute(text("SELECT balance FROM api_key_credits"))).all()
    assert amount == 5
    assert balance == []  # the view lists only API-key pools
