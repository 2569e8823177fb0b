"""Claw back purchased credits (a refund or a dispute): take what is still there, never more.

Only the ``purchased`` pool is touched (a refund takes back what was bought, not the plan's
allowance) and never credits that open holds set aside, so the balance never goes below zero.
Whatever could not be taken is the shortfall, answered (and recorded by the caller). Keyed
by an idempotency key like every ledger operation: a retry takes nothing more.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.credits import ledger, repository
from fltr_auth.credits.ledger import Owner, Result, Tags, new_id
from fltr_shared.db import utcnow
from fltr_shared.errors import ValidationFailed


async def clawback(
    db: AsyncSession,
    owner: Owner,
    amount: int,
    idempotency_key: str,
    *,
    reason: str,
    resource_id: str | None = None,
) -> Result:
    """Take up to ``amount`` purchased credits; the answer has ``clawed_back`` and
    ``shortfall`` (``amount`` minus what was taken)."""
    ledger.check_amount(amount)
    if owner.kind == "api_key":
        raise ValidationFailed("Claw back from a user or a team.")
    now = utcnow()
    account = await ledger.account(db, owner.kind, owner.id, now)
    tags = Tags(new_id(), idempotency_key, reason, resource_id)
    entry_id = new_id()
    request = {"owner": [owner.kind, owner.id], "amount": amount, "reason": reason}
    stored = {
        "operation_id": tags.operation_id,
        "transaction_id": entry_id,
        "account_id": account.id,
        "requested": amount,
    }
    earlier = await ledger.claim(db, account.id, tags, "clawback", request, stored, now)
    if earlier is not None:
        return Result(_complete(earlier.body, await _taken(db, tags, earlier)), replayed=True)
    current = await repository.read_pools(db, account.id, lock=True)
    take = max(min(amount, current.purchased, current.available), 0)
    rows = []
    if take:
        after = await repository.take_purchased(db, account.id, take, now)
        assert after is not None  # the row is locked and was checked
        rows = ledger.entries(
            tags, account.id, [("purchased", -take, "clawback")], after.balance, now, entry_id
        )
        await repository.add_entries(db, rows)
    body = ledger.describe("clawback", stored, rows)
    return Result(_complete(body, take))


async def _taken(db: AsyncSession, tags: Tags, earlier: Result) -> int:
    operation_id = earlier.body["operation_id"]
    rows = await repository.operation_entries(db, operation_id)
    return -sum(int(row["amount"]) for row in rows)


def _complete(body: dict[str, object], taken: int) -> dict[str, object]:
    requested = body["requested"]
    assert isinstance(requested, int)
    return {**body, "clawed_back": taken, "shortfall": requested - taken}
