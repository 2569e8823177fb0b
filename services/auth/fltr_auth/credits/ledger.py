"""The ledger's shared machinery: owners, amounts, idempotency claims, debits, entries.

The operations themselves live in ``service.py`` (charges and holds), ``key_pools.py``
(API-key pools) and ``plans.py`` (period allowances); see ``service.py`` for the rules.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.credits import repository
from fltr_auth.credits.errors import (
    ApiKeyInactive,
    IdempotencyConflict,
    InsufficientCredits,
    OwnerNotFound,
    SpendCapReached,
)
from fltr_auth.credits.repository import Account, KeyInfo, OwnerKind, Pool, Pools
from fltr_shared.errors import ValidationFailed

MAX_AMOUNT = 1_000_000_000
MAX_IDEMPOTENCY_KEY = 255
SPEND_CAP_DEFAULT_PERIOD = "month"


@dataclass(frozen=True)
class Owner:
    """Whose credits: a user, a team (organization) or an API key (charged through it)."""

    kind: OwnerKind
    id: str


@dataclass(frozen=True)
class Result:
    body: dict[str, Any]
    replayed: bool = False


@dataclass(frozen=True)
class Balance:
    credits: int
    total_credits_purchased: int
    created_at: datetime
    pools: Pools
    allowance_resets_at: datetime | None


# ---- small rules


def new_id() -> str:
    """A row id of the ledger: 32 random hex characters (cheaper than Better Auth's ids,
    which only the tables Better Auth reads need)."""
    return secrets.token_hex(16)


def check_amount(amount: object, *, field: str = "amount", allow_zero: bool = False) -> int:
    """Amounts are integers from 1 (or 0 where allowed) to MAX_AMOUNT; anything else is 422."""
    low = 0 if allow_zero else 1
    if isinstance(amount, bool) or not isinstance(amount, int) or not low <= amount <= MAX_AMOUNT:
        raise ValidationFailed(
            f"'{field}' must be an integer from {low} to {MAX_AMOUNT}.",
            fields=[{"loc": [field], "msg": "not a valid amount", "type": "amount"}],
        )
    return amount


def check_idempotency_key(idempotency_key: str) -> None:
    if not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
        raise ValidationFailed(
            f"'idempotency_key' must be 1 to {MAX_IDEMPOTENCY_KEY} characters.",
            fields=[{"loc": ["idempotency_key"], "msg": "bad length", "type": "string"}],
        )


def request_hash(kind: str, request: Mapping[str, Any]) -> str:
    canonical = json.dumps({"kind": kind, **request}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def period_bounds(period: str, now: datetime) -> tuple[datetime, datetime]:
    """The calendar day, ISO week (from Monday) or month containing ``now``, in UTC."""
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day, day + timedelta(days=1)
    if period == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7)
    start = day.replace(day=1)
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start, end


def plan(pools: Pools, amount: int) -> tuple[int, int]:
    """Allowance first: (from allowance, from purchased)."""
    from_allowance = min(pools.allowance, amount)
    return from_allowance, amount - from_allowance


@dataclass(frozen=True)
class Tags:
    """What every entry written by one operation carries."""

    operation_id: str
    idempotency_key: str
    operation: str | None = None
    resource_id: str | None = None
    actor: str | None = None


def entries(
    tags: Tags,
    account_id: str,
    changes: Sequence[tuple[Pool, int, str]],
    balance_after: int,
    now: datetime,
    last_id: str,
) -> list[dict[str, Any]]:
    """One entry per (pool, signed amount, kind) change of an account, zero changes skipped;
    each carries the balance after it, ending at ``balance_after``. The last is ``last_id``."""
    running = balance_after - sum(amount for _, amount, _ in changes)
    rows: list[dict[str, Any]] = []
    for pool, amount, kind in changes:
        if amount == 0:
            continue
        running += amount
        rows.append(
            {
                "id": new_id(),
                "account_id": account_id,
                "operation_id": tags.operation_id,
                "pool": pool,
                "amount": amount,
                "balance_after": running,
                "kind": kind,
                "operation": tags.operation,
                "resource_id": tags.resource_id,
                "idempotency_key": tags.idempotency_key,
                "actor": tags.actor,
                "created_at": now,
            }
        )
    if rows:
        rows[-1]["id"] = last_id
    return rows


def debit_changes(split: tuple[int, int], kind: str) -> list[tuple[Pool, int, str]]:
    return [("allowance", -split[0], kind), ("purchased", -split[1], kind)]


def describe(
    kind: str, stored: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The answer to an operation: what was stored at its claim, completed from its entries.

    Run on the first call (with the entries just written) and on every replay (with the
    entries read back), so both answer alike.
    """
    body = dict(stored)
    by_id = {row["id"]: row for row in rows}
    for field in [name for name in stored if name.endswith("transaction_id")]:
        entry = by_id.get(stored[field]) if stored[field] else None
        body[field] = entry["id"] if entry else None
        body[field.removesuffix("transaction_id") + "balance_after"] = (
            entry["balance_after"] if entry else None
        )
        if field == "transaction_id" and entry and body.get("account_id") is None:
            body["account_id"] = entry["account_id"]
    if kind in ("deduct", "capture"):
        used = {"allowance": 0, "purchased": 0}
        for row in rows:
            used[row["pool"]] -= row["amount"]
        body["pools_used"] = used
    if kind == "key_return":
        body["amount"] = sum(
            -row["amount"] for row in rows if row["account_id"] == stored["from_account_id"]
        )
    return body


# ---- accounts, keys, idempotency


async def account(db: AsyncSession, kind: OwnerKind, owner_id: str, now: datetime) -> Account:
    """The owner's account, opened on first use; 404 when the user or team does not exist."""
    found = await repository.account_of(db, kind, owner_id)
    if found is not None:
        return found
    if kind != "api_key" and not await repository.owner_exists(db, kind, owner_id):
        raise OwnerNotFound(kind, owner_id)
    await repository.create_account(db, new_id(), kind, owner_id, now)
    created = await repository.account_of(db, kind, owner_id)
    assert created is not None
    return created


async def api_key(db: AsyncSession, api_key_id: str, now: datetime, *, active: bool) -> KeyInfo:
    key = await repository.api_key(db, api_key_id)
    if key is None:
        raise OwnerNotFound("api_key", api_key_id)
    if active and key.revoked_at is not None:
        raise ApiKeyInactive("This API key has been revoked.", code="api_key_revoked")
    if active and key.expires_at is not None and key.expires_at <= now:
        raise ApiKeyInactive("This API key has expired.", code="api_key_expired")
    return key


def key_owner(key: KeyInfo) -> tuple[OwnerKind, str]:
    if key.user_id is not None:
        return "user", key.user_id
    assert key.organization_id is not None
    return "organization", key.organization_id


async def claim(
    db: AsyncSession,
    account_id: str,
    tags: Tags,
    kind: str,
    request: Mapping[str, Any],
    stored: dict[str, Any],
    now: datetime,
) -> Result | None:
    """Claim the key for this request: None when claimed now, else the earlier answer."""
    check_idempotency_key(tags.idempotency_key)
    digest = request_hash(kind, request)
    claimed = await repository.claim_operation(
        db,
        operation_id=tags.operation_id,
        account_id=account_id,
        idempotency_key=tags.idempotency_key,
        kind=kind,
        request_hash=digest,
        response=stored,
        now=now,
    )
    if claimed:
        return None
    earlier = await repository.operation_by_key(db, account_id, tags.idempotency_key)
    assert earlier is not None  # the conflicting claim has committed (PostgreSQL waited for it)
    if earlier.request_hash != digest:
        raise IdempotencyConflict()
    rows = await repository.operation_entries(db, earlier.id)
    return Result(describe(earlier.kind, earlier.response, rows), replayed=True)


async def check_spend_cap(
    db: AsyncSession, key: KeyInfo, owner_account_id: str, amount: int, now: datetime
) -> None:
    """Refuse a charge through ``key`` that would pass its cap for the current period.

    The key's row is locked first, so concurrent charges through one key are counted one
    after another (PostgreSQL; SQLite runs one writer at a time anyway). What the key spent
    is on its owner's account and on its own pool.
    """
    locked = await repository.api_key(db, key.id, lock=True)
    assert locked is not None
    if locked.spend_cap is None:
        return
    pool = await repository.account_of(db, "api_key", key.id)
    account_ids = [owner_account_id] + ([pool.id] if pool else [])
    period = locked.spend_cap_period or SPEND_CAP_DEFAULT_PERIOD
    start, end = period_bounds(period, now)
    spent = await repository.period_spend(db, f"api_key:{key.id}", account_ids, start)
    if spent + amount > locked.spend_cap:
        raise SpendCapReached(
            cap=locked.spend_cap, spent=spent, required=amount, period=period, resets_at=end
        )


async def debit(
    db: AsyncSession,
    account_id: str,
    amount: int,
    *,
    release: int = 0,
    hint: Pools | None,
    now: datetime,
    log: Callable[[tuple[int, int]], list[dict[str, Any]]],
    only: bool = False,
) -> tuple[Pools, list[dict[str, Any]]] | None:
    """Take ``amount`` (allowance first), unreserving ``release``, and write its entries
    (``log(split)``, balances relative to the end); returns (pools after, entries).

    One conditional statement planned from ``hint`` (a recent read). Only if that misses is
    the row read under a lock and the exact debit applied; too little then is a 402. With
    ``only`` the one statement is all: None when it misses.
    """
    if hint is not None and hint.available + release >= amount:
        split = plan(hint, amount)
        rows = log(split)
        after = await repository.debit(db, account_id, split, release=release, now=now, log=rows)
        if after is not None:
            return after, rows
    if only:
        return None
    current = await repository.read_pools(db, account_id, lock=True)
    if current.available + release < amount:
        raise InsufficientCredits(amount, current)
    split = plan(current, amount)
    rows = log(split)
    after = await repository.debit(db, account_id, split, release=release, now=now, log=rows)
    assert after is not None  # the row is locked and was checked
    return after, rows
