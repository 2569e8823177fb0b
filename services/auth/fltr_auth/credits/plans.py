"""Plan periods: when a period starts, its allowance replaces what is left of the last one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.credits import ledger, repository
from fltr_auth.credits.errors import BalanceLimit
from fltr_auth.credits.ledger import Owner, Result, Tags, new_id
from fltr_auth.credits.repository import MAX_BALANCE, Pool
from fltr_shared.db import utcnow
from fltr_shared.errors import ValidationFailed


async def set_allowance(
    db: AsyncSession, owner: Owner, amount: int, period_end: datetime | None, idempotency_key: str
) -> Result:
    """Start a plan period (key it by the invoice, say): two entries, the rest of the old
    allowance expiring and the new one granted. While holds are open the allowance never
    drops below what they set aside (they were made against it)."""
    ledger.check_amount(amount, allow_zero=True)
    if owner.kind == "api_key":
        raise ValidationFailed("Allowances belong to users and teams.")
    now = utcnow()
    account = await ledger.account(db, owner.kind, owner.id, now)
    tags = Tags(new_id(), idempotency_key, "plan_period")
    entry_id = new_id()
    resets_at = period_end.isoformat() if period_end else None
    request = {"owner": [owner.kind, owner.id], "amount": amount, "period_end": resets_at}
    stored = {
        "operation_id": tags.operation_id,
        "account_id": account.id,
        "allowance": amount,
        "allowance_resets_at": resets_at,
        "transaction_id": entry_id,
    }
    if earlier := await ledger.claim(db, account.id, tags, "allowance", request, stored, now):
        return earlier
    current = await repository.read_pools(db, account.id, lock=True)
    allowance = max(amount, current.reserved - current.purchased)
    if current.purchased > MAX_BALANCE - allowance:
        raise BalanceLimit()
    after = await repository.replace_allowance(db, account.id, allowance, period_end, now)
    changes: list[tuple[Pool, int, str]] = [
        ("allowance", -current.allowance, "allowance_expired"),
        ("allowance", allowance, "allowance"),
    ]
    rows = ledger.entries(tags, account.id, changes, after.balance, now, entry_id)
    await repository.add_entries(db, rows)
    return Result(ledger.describe("allowance", stored, rows))
