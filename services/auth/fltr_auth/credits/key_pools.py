"""API-key pools: funded from the owner's purchased credits, given back on revocation.

Only purchased credits move into a pool (a plan's allowance expires with its period and must
not outlive it in a key), and they come back as purchased credits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.credits import ledger, repository
from fltr_auth.credits.errors import BalanceLimit, InsufficientCredits
from fltr_auth.credits.ledger import Result, Tags, new_id
from fltr_auth.credits.repository import Pool, Pools
from fltr_shared.db import utcnow


async def _move(
    db: AsyncSession,
    tags: Tags,
    *,
    source: str,
    target: str,
    amount: int,
    entry_ids: tuple[str, str],
    now: datetime,
) -> list[dict[str, Any]]:
    """Move purchased credits between two accounts, touching the rows in id order."""
    after: dict[str, Pools] = {}
    for account_id in sorted((source, target)):
        if account_id == source:
            taken = await repository.take_purchased(db, source, amount, now)
            if taken is None:
                raise InsufficientCredits(amount, await repository.read_pools(db, source))
            after[source] = taken
        else:
            added = await repository.credit(
                db, target, "purchased", amount, purchase=False, now=now
            )
            if added is None:
                raise BalanceLimit()
            after[target] = added
    out: list[tuple[Pool, int, str]] = [("purchased", -amount, "transfer")]
    into: list[tuple[Pool, int, str]] = [("purchased", amount, "transfer")]
    rows = ledger.entries(tags, source, out, after[source].balance, now, entry_ids[0])
    rows += ledger.entries(tags, target, into, after[target].balance, now, entry_ids[1])
    await repository.add_entries(db, rows)
    return rows


async def transfer(
    db: AsyncSession,
    api_key_id: str,
    amount: int,
    idempotency_key: str,
    *,
    direction: Literal["to_key", "to_owner"],
    actor: str | None = None,
) -> Result:
    """Fund an API key's pool from its owner's purchased credits, or move credits back."""
    ledger.check_amount(amount)
    now = utcnow()
    key = await ledger.api_key(db, api_key_id, now, active=direction == "to_key")
    owner = await ledger.account(db, *ledger.key_owner(key), now)
    pool = await ledger.account(db, "api_key", key.id, now)
    source, target = (owner.id, pool.id) if direction == "to_key" else (pool.id, owner.id)
    tags = Tags(new_id(), idempotency_key, actor=actor)
    entry_ids = (new_id(), new_id())
    request = {"api_key_id": key.id, "amount": amount, "direction": direction}
    stored = {
        "operation_id": tags.operation_id,
        "api_key_id": key.id,
        "direction": direction,
        "amount": amount,
        "from_account_id": source,
        "to_account_id": target,
        "transaction_id": entry_ids[0],
        "to_transaction_id": entry_ids[1],
    }
    if earlier := await ledger.claim(db, owner.id, tags, "transfer", request, stored, now):
        return earlier
    rows = await _move(
        db, tags, source=source, target=target, amount=amount, entry_ids=entry_ids, now=now
    )
    return Result(ledger.describe("transfer", stored, rows))


async def return_key_pool(db: AsyncSession, api_key_id: str, actor: str | None) -> Result:
    """On revocation: release the key pool's open holds and give all of it to the owner.

    Call it in the transaction that revokes the key. Once per key: a second call answers
    what the first did and moves nothing.
    """
    now = utcnow()
    key = await ledger.api_key(db, api_key_id, now, active=False)
    pool = await repository.account_of(db, "api_key", key.id)
    if pool is None:
        body = {"api_key_id": key.id, "amount": 0, "transaction_id": None, "balance_after": None}
        return Result(body)
    owner = await ledger.account(db, *ledger.key_owner(key), now)
    tags = Tags(new_id(), f"api-key-return:{key.id}", actor=actor)
    entry_ids = (new_id(), new_id())
    stored = {
        "operation_id": tags.operation_id,
        "api_key_id": key.id,
        "from_account_id": pool.id,
        "to_account_id": owner.id,
        "transaction_id": entry_ids[0],
        "to_transaction_id": entry_ids[1],
    }
    request = {"api_key_id": key.id}
    if earlier := await ledger.claim(db, owner.id, tags, "key_return", request, stored, now):
        return earlier
    # holds before accounts, and accounts in id order: the order every writer uses
    released = await repository.release_open_holds(db, pool.id, now)
    locked: dict[str, Pools] = {}
    for account_id in sorted((pool.id, owner.id)):
        if account_id == pool.id and released:
            locked[account_id] = await repository.unreserve(db, pool.id, released, now)
        else:
            locked[account_id] = await repository.read_pools(db, account_id, lock=True)
    amount = locked[pool.id].available
    rows: list[dict[str, Any]] = []
    if amount > 0:
        rows = await _move(
            db, tags, source=pool.id, target=owner.id, amount=amount, entry_ids=entry_ids, now=now
        )
    return Result(ledger.describe("key_return", stored, rows))
