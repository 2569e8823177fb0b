"""The credit ledger's rules. Never commits: the caller's transaction does, and a refusal
(raised) rolls back everything the call wrote, so a refused request has moved nothing. One
exception, asked for with ``deduct(..., standalone=True)`` (the HTTP deduction): a plain
deduction is one statement that commits on its own (see ``repository.deduct_at_once``).

- Accounts belong to one user, team (organization) or API key, and are opened on first use.
  Two pools: the plan's ``allowance`` (spent first, replaced each period) and ``purchased``
  (kept). ``reserved`` is what open holds set aside; ``available = allowance + purchased -
  reserved`` and never goes below zero.
- Every change of a pool appends one entry to ``credit_transactions`` (per pool touched) with
  the balance after it, so per account and pool the entries sum to the balance.
- Every operation carries an idempotency key, claimed in ``credit_operations`` in the same
  transaction before anything moves. A retry of the same request answers what the first call
  answered and moves nothing; the same key with another request is a 409. The stored
  response is what is known before the balance moves; the rest of the answer (which pool paid,
  the balance after) is read back from the operation's entries, which never change.
- Charges through an API key use the key's own pool when it can pay, else the owner's
  account; they count against the key's spend cap per calendar period (UTC).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.credits import ledger, repository
from fltr_auth.credits.errors import (
    BalanceLimit,
    HoldClosed,
    HoldNotFound,
    InsufficientCredits,
    NotAMember,
    OwnerNotFound,
)
from fltr_auth.credits.key_pools import return_key_pool, transfer
from fltr_auth.credits.ledger import MAX_AMOUNT, Balance, Owner, Result, Tags, new_id
from fltr_auth.credits.plans import set_allowance
from fltr_auth.credits.repository import Account, Hold, KeyInfo, Operation, Pool
from fltr_auth.teams import service as teams
from fltr_shared.db import utcnow
from fltr_shared.errors import AppError, ValidationFailed

ENTRY_KINDS = ("grant", "deduct", "capture", "transfer", "allowance", "allowance_expired")

__all__ = [
    "ENTRY_KINDS",
    "MAX_AMOUNT",
    "Balance",
    "Owner",
    "Result",
    "capture",
    "deduct",
    "expire_holds",
    "grant",
    "hold",
    "release",
    "return_key_pool",
    "set_allowance",
    "transfer",
]


async def grant(
    db: AsyncSession,
    owner: Owner,
    amount: int,
    idempotency_key: str,
    *,
    reason: str,
    pool: Pool = "purchased",
    resource_id: str | None = None,
    actor: str | None = None,
) -> Result:
    """Add credits to a user's or team's pool; purchases also grow ``total_purchased``."""
    ledger.check_amount(amount)
    if owner.kind == "api_key":
        raise ValidationFailed("Grant to a user or a team; API keys are funded by transfer.")
    if pool not in ("allowance", "purchased"):
        raise ValidationFailed("'pool' must be 'allowance' or 'purchased'.")
    now = utcnow()
    account = await ledger.account(db, owner.kind, owner.id, now)
    tags = Tags(new_id(), idempotency_key, reason, resource_id, actor)
    entry_id = new_id()
    request = {
        "owner": [owner.kind, owner.id],
        "amount": amount,
        "pool": pool,
        "reason": reason,
        "resource_id": resource_id,
    }
    stored = {
        "operation_id": tags.operation_id,
        "transaction_id": entry_id,
        "account_id": account.id,
        "amount": amount,
        "pool": pool,
    }
    if earlier := await ledger.claim(db, account.id, tags, "grant", request, stored, now):
        return earlier
    purchase = pool == "purchased"
    after = await repository.credit(db, account.id, pool, amount, purchase=purchase, now=now)
    if after is None:
        raise BalanceLimit()
    rows = ledger.entries(tags, account.id, [(pool, amount, "grant")], after.balance, now, entry_id)
    await repository.add_entries(db, rows)
    return Result(ledger.describe("grant", stored, rows))


async def _payer(db: AsyncSession, owner: Owner, now: datetime) -> tuple[KeyInfo | None, Account]:
    """The key charged through (if any) and the account whose idempotency keys apply: the
    owner's, or the key owner's (whichever pool then pays)."""
    if owner.kind != "api_key":
        return None, await ledger.account(db, owner.kind, owner.id, now)
    key = await ledger.api_key(db, owner.id, now, active=True)
    return key, await ledger.account(db, *ledger.key_owner(key), now)


async def _key_pool(
    db: AsyncSession, key: KeyInfo, scope: Account, amount: int, now: datetime
) -> Account | None:
    """The key's own pool account (if it has one), after checking the key's spend cap."""
    if key.spend_cap is not None:
        await ledger.check_spend_cap(db, key, scope.id, amount, now)
    return await repository.account_of(db, "api_key", key.id)


def _deduct_request(
    owner: Owner, amount: int, operation: str, resource_id: str | None
) -> dict[str, Any]:
    return {
        "owner": [owner.kind, owner.id],
        "amount": amount,
        "operation": operation,
        "resource_id": resource_id,
    }


def _deduct_stored(tags: Tags, entry_id: str, amount: int, key_id: str | None) -> dict[str, Any]:
    return {
        "operation_id": tags.operation_id,
        "transaction_id": entry_id,
        "account_id": None,  # the key's pool or the owner's account: read from the entries
        "amount": amount,
        "operation": tags.operation,
        "resource_id": tags.resource_id,
        "api_key_id": key_id,
    }


async def _deduct_at_once(
    db: AsyncSession,
    owner: Owner,
    amount: int,
    idempotency_key: str,
    *,
    operation: str,
    resource_id: str | None,
    actor: str | None,
    now: datetime,
) -> Result | None:
    """The plain deduction (a user's or team's account, or an active key without a spend cap
    or a pool of its own charging its owner's; a fresh idempotency key; enough credits) in one
    statement; None, with nothing written, for anything else."""
    if not repository.deducts_at_once(db):
        return None
    ledger.check_idempotency_key(idempotency_key)
    key_id = owner.id if owner.kind == "api_key" else None
    if key_id is not None:
        actor = f"api_key:{key_id}"  # as the step-by-step path records a charge through a key
    tags = Tags(new_id(), idempotency_key, operation, resource_id, actor)
    entry_ids = (new_id(), new_id())
    stored = _deduct_stored(tags, entry_ids[0], amount, key_id)
    request = _deduct_request(owner, amount, operation, resource_id)
    done = await repository.deduct_at_once(
        db,
        owner_kind=owner.kind,
        owner_id=owner.id,
        amount=amount,
        operation_id=tags.operation_id,
        entry_ids=entry_ids,
        idempotency_key=idempotency_key,
        request_hash=ledger.request_hash("deduct", request),
        response=stored,
        operation=operation,
        resource_id=resource_id,
        actor=actor,
        now=now,
    )
    if done is None:
        return None
    changes = ledger.debit_changes(done.split, "deduct")
    rows = ledger.entries(tags, done.account_id, changes, done.pools.balance, now, entry_ids[0])
    if len(rows) == 2:  # both pools paid: the allowance entry has the other id
        rows[0]["id"] = entry_ids[1]
    return Result(ledger.describe("deduct", stored, rows))


async def deduct(
    db: AsyncSession,
    owner: Owner,
    amount: int,
    idempotency_key: str,
    *,
    operation: str,
    resource_id: str | None = None,
    actor: str | None = None,
    standalone: bool = False,
) -> Result:
    """Charge now: 402 ``insufficient_credits`` (or ``spend_cap_reached``) moves nothing.

    ``standalone``: the caller's transaction does nothing else (an HTTP deduction). A plain
    deduction may then commit on its own, in one statement, before that transaction ends;
    a retry with the same key answers it as always. Without it, everything waits for the
    caller's commit.
    """
    ledger.check_amount(amount)
    now = utcnow()
    if standalone:
        done = await _deduct_at_once(
            db,
            owner,
            amount,
            idempotency_key,
            operation=operation,
            resource_id=resource_id,
            actor=actor,
            now=now,
        )
        if done is not None:
            return done
    key, scope = await _payer(db, owner, now)
    actor = f"api_key:{key.id}" if key else actor
    tags = Tags(new_id(), idempotency_key, operation, resource_id, actor)
    entry_id = new_id()
    request = _deduct_request(owner, amount, operation, resource_id)
    stored = _deduct_stored(tags, entry_id, amount, key.id if key else None)
    if earlier := await ledger.claim(db, scope.id, tags, "deduct", request, stored, now):
        return earlier

    def log(account_id: str) -> Callable[[tuple[int, int]], list[dict[str, Any]]]:
        def rows(split: tuple[int, int]) -> list[dict[str, Any]]:
            changes = ledger.debit_changes(split, "deduct")
            return ledger.entries(tags, account_id, changes, 0, now, entry_id)

        return rows

    charged = None
    if key is not None:
        pool = await _key_pool(db, key, scope, amount, now)
        if pool is not None:
            charged = await ledger.debit(
                db, pool.id, amount, hint=pool.pools, now=now, log=log(pool.id), only=True
            )
    if charged is None:
        charged = await ledger.debit(
            db, scope.id, amount, hint=scope.pools, now=now, log=log(scope.id)
        )
    assert charged is not None
    return Result(ledger.describe("deduct", stored, charged[1]))


@dataclass(frozen=True)
class Deduction:
    """One charge of a batch (``deduct_many``)."""

    owner: Owner
    amount: int
    idempotency_key: str
    operation: str
    resource_id: str | None = None


async def deduct_many(db: AsyncSession, deductions: Sequence[Deduction]) -> list[Result | AppError]:
    """Each deduction answered exactly as ``deduct`` answers it alone, in order: a result, or
    the refusal it would raise (402, 404, 409). A refused one moves nothing of its own and
    leaves the others alone; a repeated idempotency key (in the batch or before) replays.

    Each plain deduction is its one statement (committed on its own, as a lone HTTP
    deduction); any other runs step by step in a savepoint of the caller's transaction, so a
    refusal rolls back only its own writes.
    """
    outcomes: list[Result | AppError] = []
    for item in deductions:
        try:
            outcomes.append(await _deduct_one(db, item))
        except AppError as exc:
            outcomes.append(exc)
    return outcomes


async def _deduct_one(db: AsyncSession, item: Deduction) -> Result:
    ledger.check_amount(item.amount)
    done = await _deduct_at_once(
        db,
        item.owner,
        item.amount,
        item.idempotency_key,
        operation=item.operation,
        resource_id=item.resource_id,
        actor=None,
        now=utcnow(),
    )
    if done is not None:
        return done
    async with db.begin_nested():
        return await deduct(
            db,
            item.owner,
            item.amount,
            item.idempotency_key,
            operation=item.operation,
            resource_id=item.resource_id,
        )


async def hold(
    db: AsyncSession,
    owner: Owner,
    amount: int,
    idempotency_key: str,
    *,
    ttl: timedelta,
    operation: str | None = None,
    resource_id: str | None = None,
) -> Result:
    """Reserve credits for long work until captured, released or expired (after ``ttl``)."""
    ledger.check_amount(amount)
    now = utcnow()
    key, scope = await _payer(db, owner, now)
    hold_id = new_id()  # also the id of the operation that opens the hold
    tags = Tags(hold_id, idempotency_key, operation, resource_id)
    expires_at = now + ttl
    request = {
        "owner": [owner.kind, owner.id],
        "amount": amount,
        "operation": operation,
        "resource_id": resource_id,
        "ttl_seconds": int(ttl.total_seconds()),
    }
    stored = {
        "operation_id": hold_id,
        "hold_id": hold_id,
        "amount": amount,
        "expires_at": expires_at.isoformat(),
        "status": "held",
        "operation": operation,
        "resource_id": resource_id,
        "api_key_id": key.id if key else None,
    }
    if earlier := await ledger.claim(db, scope.id, tags, "hold", request, stored, now):
        return earlier
    payer = None
    if key is not None:
        pool = await _key_pool(db, key, scope, amount, now)
        if pool is not None and await repository.reserve(db, pool.id, amount, now):
            payer = pool.id
    if payer is None:
        if await repository.reserve(db, scope.id, amount, now) is None:
            current = await repository.read_pools(db, scope.id)
            raise InsufficientCredits(amount, current)
        payer = scope.id
    await repository.add_hold(
        db,
        hold_id=hold_id,
        account_id=payer,
        amount=amount,
        operation=operation,
        resource_id=resource_id,
        idempotency_key=idempotency_key,
        expires_at=expires_at,
        now=now,
    )
    return Result(ledger.describe("hold", stored, []))


async def _hold(db: AsyncSession, hold_id: str) -> tuple[Hold, Operation]:
    """A hold and the operation that opened it (in whose idempotency scope it lives)."""
    found = await repository.get_hold(db, hold_id)
    opening = await repository.operation_by_id(db, hold_id) if found else None
    if found is None or opening is None:
        raise HoldNotFound()
    return found, opening


async def _why_closed(
    db: AsyncSession, hold_id: str, captured: int | None, now: datetime
) -> HoldClosed:
    current = await repository.get_hold(db, hold_id)
    assert current is not None
    if current.status == "captured":
        return HoldClosed("This hold was already captured.", code="hold_captured")
    if current.status == "released":
        return HoldClosed("This hold was already released.", code="hold_released")
    if current.status == "expired" or current.expires_at <= now:
        return HoldClosed("This hold has expired; its credits were released.", code="hold_expired")
    if captured is not None and captured > current.amount:
        return HoldClosed(
            f"Cannot capture {captured} credits from a hold of {current.amount}.",
            code="capture_exceeds_hold",
        )
    return HoldClosed("The hold changed while this ran; try again.", code="hold_busy")


async def capture(db: AsyncSession, hold_id: str, amount: int, idempotency_key: str) -> Result:
    """Charge ``amount`` (at most what is held) and release the rest, at most once."""
    ledger.check_amount(amount)
    now = utcnow()
    held, opening = await _hold(db, hold_id)
    api_key_id = opening.response.get("api_key_id")
    tags = Tags(
        new_id(),
        idempotency_key,
        opening.response.get("operation"),
        opening.response.get("resource_id"),
        f"api_key:{api_key_id}" if api_key_id else None,
    )
    entry_id = new_id()
    request = {"hold_id": hold_id, "amount": amount}
    stored = {
        "operation_id": tags.operation_id,
        "transaction_id": entry_id,
        "account_id": held.account_id,
        "hold_id": hold_id,
        "captured": amount,
        "released": max(held.amount - amount, 0),
        "api_key_id": api_key_id,
    }
    if earlier := await ledger.claim(db, opening.account_id, tags, "capture", request, stored, now):
        return earlier
    key = await repository.api_key(db, api_key_id) if api_key_id else None
    if key is not None and key.spend_cap is not None:
        await ledger.check_spend_cap(db, key, opening.account_id, amount, now)
    amount_held = await repository.close_hold(db, hold_id, captured=amount, now=now)
    if amount_held is None:
        raise await _why_closed(db, hold_id, amount, now)

    def log(split: tuple[int, int]) -> list[dict[str, Any]]:
        changes = ledger.debit_changes(split, "capture")
        return ledger.entries(tags, held.account_id, changes, 0, now, entry_id)

    hint = await repository.read_pools(db, held.account_id)
    charged = await ledger.debit(
        db, held.account_id, amount, release=amount_held, hint=hint, now=now, log=log
    )
    assert charged is not None
    return Result(ledger.describe("capture", stored, charged[1]))


async def release(db: AsyncSession, hold_id: str, idempotency_key: str) -> Result:
    """Give a hold's credits back, at most once."""
    now = utcnow()
    held, opening = await _hold(db, hold_id)
    tags = Tags(new_id(), idempotency_key)
    stored = {
        "operation_id": tags.operation_id,
        "hold_id": hold_id,
        "released": held.amount,
        "status": "released",
    }
    request = {"hold_id": hold_id}
    if earlier := await ledger.claim(db, opening.account_id, tags, "release", request, stored, now):
        return earlier
    amount_held = await repository.close_hold(db, hold_id, captured=None, now=now)
    if amount_held is None:
        raise await _why_closed(db, hold_id, None, now)
    await repository.unreserve(db, held.account_id, amount_held, now)
    return Result(ledger.describe("release", stored, []))


async def expire_holds(db: AsyncSession, *, limit: int = 500, now: datetime | None = None) -> int:
    """Release up to ``limit`` holds past their expiry; returns how many. Safe to run in
    several processes at once: each hold is expired by exactly one of them."""
    now = now or utcnow()
    per_account: dict[str, int] = {}
    expired = await repository.expire_holds(db, now, limit)
    for account_id, amount in expired:
        per_account[account_id] = per_account.get(account_id, 0) + amount
    for account_id in sorted(per_account):  # a fixed order: sweepers never deadlock
        await repository.unreserve(db, account_id, per_account[account_id], now)
    return len(expired)


# ---- reading


async def owner_for_member(db: AsyncSession, user_id: str, organization_id: str | None) -> Owner:
    """The caller's own account, or a team's when the caller is one of its members."""
    if organization_id is None:
        return Owner("user", user_id)
    if await teams.member_role(db, organization_id, user_id) is None:
        raise NotAMember()
    return Owner("organization", organization_id)


async def owner_for(db: AsyncSession, user_id: str | None, organization_id: str | None) -> Owner:
    """For trusted callers: a user's account, a team's, or a team's as seen by a member."""
    if user_id is not None:
        return await owner_for_member(db, user_id, organization_id)
    if organization_id is None:
        raise ValidationFailed("Give user_id, organization_id or both.")
    return Owner("organization", organization_id)


async def balance(db: AsyncSession, owner: Owner) -> Balance:
    account = await ledger.account(db, owner.kind, owner.id, utcnow())
    return Balance(
        credits=account.pools.available,
        total_credits_purchased=account.total_purchased,
        created_at=account.created_at,
        pools=account.pools,
        allowance_resets_at=account.allowance_resets_at,
    )


async def transactions(
    db: AsyncSession,
    owner: Owner,
    *,
    kind: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """The owner's entries, newest first."""
    account = await repository.account_of(db, owner.kind, owner.id)
    if account is None:
        if owner.kind != "api_key" and not await repository.owner_exists(db, owner.kind, owner.id):
            raise OwnerNotFound(owner.kind, owner.id)
        return [], 0
    return await repository.list_entries(
        db, account.id, kind=kind, since=since, until=until, limit=limit, offset=offset
    )


async def ledger_problems(db: AsyncSession) -> list[str]:
    """Every broken invariant, described; empty when the ledger is sound."""
    problems = []
    sums = await repository.pool_sums(db)
    held = await repository.open_hold_sums(db)
    for account_id, pools in (await repository.all_pools(db)).items():
        for pool in ("allowance", "purchased"):
            value, total = getattr(pools, pool), sums.get((account_id, pool), 0)
            if value < 0:
                problems.append(f"{account_id}: {pool} is negative ({value})")
            if total != value:
                problems.append(f"{account_id}: {pool} is {value}, its entries sum to {total}")
        if pools.reserved != held.get(account_id, 0):
            problems.append(
                f"{account_id}: reserved is {pools.reserved}, open holds hold "
                f"{held.get(account_id, 0)}"
            )
        if pools.available < 0:
            problems.append(f"{account_id}: available is negative ({pools.available})")
    return problems
