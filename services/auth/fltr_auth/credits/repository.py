"""SQL of the credit ledger. Every balance change is one conditional statement on one row.

Accounts change only through single-statement ``UPDATE ... WHERE <the rule holds>
RETURNING``, so two requests racing for the same credits cannot both win: the loser's
``WHERE`` no longer matches and it gets no row back. The same statements run on PostgreSQL
and SQLite (``CASE``, not ``LEAST``/``GREATEST``; ``ON CONFLICT DO NOTHING``; ``RETURNING``).
Row locks are only ever a fallback, and SQLite ignores them (it has one writer at a time).
They are ``FOR NO KEY UPDATE``: every entry or operation inserted takes ``KEY SHARE`` on its
account (the foreign key check), which a plain ``FOR UPDATE`` would wait on, and deadlock.

A hold's id is the id of the ``credit_operations`` row that opened it, so what the opening
request said (through which API key, in whose idempotency scope) stays readable from the hold.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import Table, TextClause, bindparam, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.api_keys.models import ApiKey
from fltr_auth.credits.models import CreditAccount, CreditHold, CreditOperation, CreditTransaction
from fltr_auth.teams.models import Organization
from fltr_auth.users.models import User
from fltr_shared.db import UTCDateTime

OwnerKind = Literal["user", "organization", "api_key"]
Pool = Literal["allowance", "purchased"]

#: The largest balance an account holds: pools are 32-bit integers on PostgreSQL, and
#: ``allowance + purchased`` (computed by the CHECK constraints) must not overflow either.
MAX_BALANCE = 2_147_483_647

accounts = cast(Table, CreditAccount.__table__)
operations = cast(Table, CreditOperation.__table__)
entries = cast(Table, CreditTransaction.__table__)
holds = cast(Table, CreditHold.__table__)

_OWNER_COLUMN = {
    "user": accounts.c.user_id,
    "organization": accounts.c.organization_id,
    "api_key": accounts.c.api_key_id,
}


@dataclass(frozen=True)
class Pools:
    allowance: int
    purchased: int
    reserved: int

    @property
    def balance(self) -> int:
        return self.allowance + self.purchased

    @property
    def available(self) -> int:
        return self.allowance + self.purchased - self.reserved


@dataclass(frozen=True)
class Account:
    id: str
    pools: Pools
    total_purchased: int
    allowance_resets_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class KeyInfo:
    id: str
    user_id: str | None
    organization_id: str | None
    spend_cap: int | None
    spend_cap_period: str | None
    revoked_at: datetime | None
    expires_at: datetime | None


@dataclass(frozen=True)
class Operation:
    id: str
    account_id: str
    kind: str
    request_hash: str
    response: dict[str, Any]


@dataclass(frozen=True)
class Hold:
    id: str
    account_id: str
    amount: int
    captured: int | None
    status: str
    expires_at: datetime


_POOL_COLUMNS = (accounts.c.allowance, accounts.c.purchased, accounts.c.reserved)
_ACCOUNT_COLUMNS = (
    accounts.c.id,
    *_POOL_COLUMNS,
    accounts.c.total_purchased,
    accounts.c.allowance_resets_at,
    accounts.c.created_at,
)


def _pools(row: Any) -> Pools:
    return Pools(allowance=row.allowance, purchased=row.purchased, reserved=row.reserved)


def _insert(db: AsyncSession, table: Table) -> Any:
    """An INSERT that understands ``ON CONFLICT DO NOTHING`` on this session's backend."""
    if db.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


# The statements of the hot paths are built once, with bound parameters, so a request only
# binds values (building and cache-keying a statement costs more than running it here).
_ACCOUNT_BY_OWNER = {
    kind: select(*_ACCOUNT_COLUMNS).where(column == bindparam("owner_id"))
    for kind, column in _OWNER_COLUMN.items()
}
_CLAIM = {
    dialect.__name__.rsplit(".", 1)[-1]: dialect.insert(operations)
    .on_conflict_do_nothing(index_elements=["account_id", "idempotency_key"])
    .returning(operations.c.id)
    for dialect in (postgresql, sqlite)
}
_ADD_ENTRY = entries.insert()


def _debit_statement(rule: str) -> Any:
    """Take ``from_allowance``/``from_purchased``, unreserve ``release``, if the rules hold."""
    allowance_rule = {
        "allowance": accounts.c.allowance >= bindparam("from_allowance"),
        "purchased": accounts.c.allowance == 0,
        "mixed": accounts.c.allowance == bindparam("from_allowance"),
    }[rule]
    return (
        update(accounts)
        .where(
            accounts.c.id == bindparam("account_id"),
            allowance_rule,
            accounts.c.allowance + accounts.c.purchased - accounts.c.reserved + bindparam("release")
            >= bindparam("amount"),
            accounts.c.reserved >= bindparam("release"),
        )
        .values(
            allowance=accounts.c.allowance - bindparam("from_allowance"),
            purchased=accounts.c.purchased - bindparam("from_purchased"),
            reserved=accounts.c.reserved - bindparam("release"),
            updated_at=bindparam("now", type_=accounts.c.updated_at.type),
        )
        .returning(*_POOL_COLUMNS)
    )


_DEBIT = {rule: _debit_statement(rule) for rule in ("allowance", "purchased", "mixed")}


# ---- owners and accounts


async def owner_exists(db: AsyncSession, kind: OwnerKind, owner_id: str) -> bool:
    """Whether the user or organization an account would belong to exists (read-only)."""
    column = User.id if kind == "user" else Organization.id
    found = await db.execute(select(column).where(column == owner_id))
    return found.first() is not None


async def api_key(db: AsyncSession, api_key_id: str, *, lock: bool = False) -> KeyInfo | None:
    """The ledger's view of an API key; ``lock`` serializes charges against its spend cap."""
    query = select(
        ApiKey.id,
        ApiKey.user_id,
        ApiKey.organization_id,
        ApiKey.spend_cap,
        ApiKey.spend_cap_period,
        ApiKey.revoked_at,
        ApiKey.expires_at,
    ).where(ApiKey.id == api_key_id)
    if lock:
        query = query.with_for_update(key_share=True)
    row = (await db.execute(query)).first()
    if row is None:
        return None
    return KeyInfo(
        id=row.id,
        user_id=row.user_id,
        organization_id=row.organization_id,
        spend_cap=row.spend_cap,
        spend_cap_period=row.spend_cap_period,
        revoked_at=row.revoked_at,
        expires_at=row.expires_at,
    )


async def account_of(db: AsyncSession, kind: OwnerKind, owner_id: str) -> Account | None:
    row = (await db.execute(_ACCOUNT_BY_OWNER[kind], {"owner_id": owner_id})).first()
    if row is None:
        return None
    return Account(
        id=row.id,
        pools=_pools(row),
        total_purchased=row.total_purchased,
        allowance_resets_at=row.allowance_resets_at,
        created_at=row.created_at,
    )


async def create_account(
    db: AsyncSession, account_id: str, kind: OwnerKind, owner_id: str, now: datetime
) -> None:
    """Open an empty account; a concurrent creation for the same owner wins quietly."""
    statement = (
        _insert(db, accounts)
        .values(
            {
                "id": account_id,
                _OWNER_COLUMN[kind].key: owner_id,
                "created_at": now,
                "updated_at": now,
            }
        )
        .on_conflict_do_nothing()
    )
    await db.execute(statement)


async def read_pools(db: AsyncSession, account_id: str, *, lock: bool = False) -> Pools:
    query = select(*_POOL_COLUMNS).where(accounts.c.id == account_id)
    if lock:
        query = query.with_for_update(key_share=True)
    return _pools((await db.execute(query)).one())


# ---- idempotency


async def claim_operation(
    db: AsyncSession,
    *,
    operation_id: str,
    account_id: str,
    idempotency_key: str,
    kind: str,
    request_hash: str,
    response: dict[str, Any],
    now: datetime,
) -> bool:
    """Record the operation; False when the key was already used in this account.

    On PostgreSQL a concurrent insert of the same key makes this wait for that transaction:
    if it commits, this claims nothing (the caller re-reads); if it rolls back, this wins.
    """
    values = {
        "id": operation_id,
        "account_id": account_id,
        "idempotency_key": idempotency_key,
        "kind": kind,
        "request_hash": request_hash,
        "response": response,
        "created_at": now,
    }
    statement = _CLAIM[db.get_bind().dialect.name]
    return (await db.execute(statement, values)).first() is not None


def _operation(row: Any) -> Operation:
    return Operation(
        id=row.id,
        account_id=row.account_id,
        kind=row.kind,
        request_hash=row.request_hash,
        response=dict(row.response),
    )


_OPERATION_COLUMNS = (
    operations.c.id,
    operations.c.account_id,
    operations.c.kind,
    operations.c.request_hash,
    operations.c.response,
)


async def operation_by_key(db: AsyncSession, account_id: str, key: str) -> Operation | None:
    query = select(*_OPERATION_COLUMNS).where(
        operations.c.account_id == account_id, operations.c.idempotency_key == key
    )
    row = (await db.execute(query)).first()
    return _operation(row) if row is not None else None


async def operation_by_id(db: AsyncSession, operation_id: str) -> Operation | None:
    query = select(*_OPERATION_COLUMNS).where(operations.c.id == operation_id)
    row = (await db.execute(query)).first()
    return _operation(row) if row is not None else None


# ---- balance changes (each one statement; None when its rule does not hold)


def _debit_rule(split: tuple[int, int]) -> str:
    if split[1] == 0:
        return "allowance"
    return "purchased" if split[0] == 0 else "mixed"


_RULE_SQL = {
    "allowance": "allowance >= :from_allowance",
    "purchased": "allowance = 0",
    "mixed": "allowance = :from_allowance",
}


def _debit_and_log_sql(rule: str, entry_count: int) -> TextClause:
    """PostgreSQL: the debit and its entries in one statement, so the account's row lock is
    held from this statement to the commit only (a hot account queues on that lock)."""
    values = ", ".join(
        f"(CAST(:e{i}_id AS TEXT), CAST(:e{i}_pool AS TEXT), CAST(:e{i}_amount AS INTEGER),"
        f" CAST(:e{i}_shift AS INTEGER))"
        for i in range(entry_count)
    )
    sql = f"""
        WITH charged AS (
            UPDATE credit_accounts
            SET allowance = allowance - :from_allowance,
                purchased = purchased - :from_purchased,
                reserved = reserved - :release,
                updated_at = :now
            WHERE id = :account_id AND {_RULE_SQL[rule]}
              AND allowance + purchased - reserved + :release >= :amount
              AND reserved >= :release
            RETURNING allowance, purchased, reserved
        ), logged AS (
            INSERT INTO credit_transactions
                (id, account_id, operation_id, pool, amount, balance_after, kind, operation,
                 resource_id, idempotency_key, actor, created_at)
            SELECT e.id, :account_id, :operation_id, e.pool, e.amount,
                   charged.allowance + charged.purchased + e.shift, :kind, :operation,
                   :resource_id, :idempotency_key, :actor, :now
            FROM charged, (VALUES {values}) AS e (id, pool, amount, shift)
        )
        SELECT allowance, purchased, reserved FROM charged
    """  # noqa: S608 (no input is formatted in: rule and count choose among fixed texts)
    return text(sql).bindparams(bindparam("now", type_=UTCDateTime()))


_DEBIT_AND_LOG = {
    (rule, count): _debit_and_log_sql(rule, count)
    for rule, count in (("allowance", 1), ("purchased", 1), ("mixed", 2))
}


async def debit(
    db: AsyncSession,
    account_id: str,
    split: tuple[int, int],
    *,
    release: int,
    now: datetime,
    log: list[dict[str, Any]],
) -> Pools | None:
    """Take ``split`` = (from allowance, from purchased), unreserve ``release`` and append
    ``log`` (its entries), if the rules hold; None (and nothing written) if not.

    The split is planned from a read of the pools; the ``WHERE`` re-checks it against the row
    as it is now: allowance is spent first (a purely-purchased debit needs an empty
    allowance; a mixed one needs exactly the allowance planned), and no more than is
    available (``release`` frees a hold's credits for its own capture). Each entry's
    ``balance_after`` comes in relative to the balance after the debit and is filled in.
    """
    from_allowance, from_purchased = split
    rule = _debit_rule(split)
    values: dict[str, Any] = {
        "account_id": account_id,
        "from_allowance": from_allowance,
        "from_purchased": from_purchased,
        "amount": from_allowance + from_purchased,
        "release": release,
        "now": now,
    }
    if db.get_bind().dialect.name == "postgresql":
        first = log[0]
        for name in ("operation_id", "kind", "operation", "resource_id", "idempotency_key"):
            values[name] = first[name]
        values["actor"] = first["actor"]
        for i, row in enumerate(log):
            values |= {
                f"e{i}_id": row["id"],
                f"e{i}_pool": row["pool"],
                f"e{i}_amount": row["amount"],
                f"e{i}_shift": row["balance_after"],
            }
        found = (await db.execute(_DEBIT_AND_LOG[rule, len(log)], values)).first()
    else:
        found = (await db.execute(_DEBIT[rule], values)).first()
    if found is None:
        return None
    after = _pools(found)
    for row in log:
        row["balance_after"] += after.balance
    if db.get_bind().dialect.name != "postgresql":
        await add_entries(db, log)
    return after


def _account_of_owner(owner_column: str) -> str:
    return f"""
            SELECT id, LEAST(allowance, $2::integer) AS from_allowance,
                   allowance + purchased - reserved AS available
            FROM credit_accounts WHERE {owner_column} = $1::text
    """  # noqa: S608 (no input is formatted in: the owner column is one of two fixed names)


# An API key's charge to its owner's account, when the key is plain: active (not revoked,
# not expired), no spend cap, no pool of its own. Anything else: no row, and the caller takes
# the step-by-step path, which checks caps and pools and answers revoked or expired keys.
_ACCOUNT_OF_KEY = """
            SELECT a.id, LEAST(a.allowance, $2::integer) AS from_allowance,
                   a.allowance + a.purchased - a.reserved AS available
            FROM api_keys AS k
            JOIN credit_accounts AS a
              ON a.user_id = k.user_id OR a.organization_id = k.organization_id
            WHERE k.id = $1::text AND k.revoked_at IS NULL
              AND (k.expires_at IS NULL OR k.expires_at > $3::timestamptz)
              AND k.spend_cap IS NULL
              AND NOT EXISTS (SELECT 1 FROM credit_accounts AS p WHERE p.api_key_id = $1::text)
"""


def _deduct_at_once_sql(account: str) -> str:
    """PostgreSQL: a whole deduction from a user's or team's account in one statement
    (``account``: the query of that account, by its owner or by an API key of its owner).

    In the order every ledger writer keeps (the idempotency key, then the account's row): the
    account is read and the debit planned from it (allowance first); if that read can pay,
    the key is claimed (``ON CONFLICT DO NOTHING``: after a concurrent claim of it has
    committed or rolled back); with the claim, the row is debited if the plan still holds on
    it as it is when locked (the rules of :func:`debit`), and the entries are written from
    the debited row. A claim whose debit then misses (the row changed after the read) fails
    the whole statement on purpose, with a division by zero, as plain SQL cannot raise: so
    the statement writes all of it or nothing.
    """
    return f"""
        WITH acct AS ({account}), claimed AS (
            INSERT INTO credit_operations
                (id, account_id, idempotency_key, kind, request_hash, response, created_at)
            SELECT $5::text, acct.id, $4::text, 'deduct', $6::text, $7::json, $3::timestamptz
            FROM acct WHERE acct.available >= $2::integer
            ON CONFLICT (account_id, idempotency_key) DO NOTHING
            RETURNING account_id
        ), charged AS (
            UPDATE credit_accounts AS a
            SET allowance = a.allowance - acct.from_allowance,
                purchased = a.purchased - ($2::integer - acct.from_allowance),
                updated_at = $3::timestamptz
            FROM acct, claimed
            WHERE a.id = acct.id AND claimed.account_id = acct.id
              AND CASE WHEN acct.from_allowance = $2::integer
                            THEN a.allowance >= acct.from_allowance
                       WHEN acct.from_allowance = 0 THEN a.allowance = 0
                       ELSE a.allowance = acct.from_allowance END
              AND a.allowance + a.purchased - a.reserved >= $2::integer
            RETURNING a.id, a.allowance, a.purchased, a.reserved, acct.from_allowance
        ), logged AS (
            INSERT INTO credit_transactions
                (id, account_id, operation_id, pool, amount, balance_after, kind, operation,
                 resource_id, idempotency_key, actor, created_at)
            SELECT CASE WHEN e.pool = 'allowance' AND c.from_allowance < $2::integer
                        THEN $9::text ELSE $8::text END,
                   c.id, $5::text, e.pool, -e.taken, c.allowance + c.purchased + e.shift,
                   'deduct', $10::text, $11::text, $4::text, $12::text, $3::timestamptz
            FROM charged AS c, LATERAL (
                VALUES ('allowance', c.from_allowance, $2::integer - c.from_allowance),
                       ('purchased', $2::integer - c.from_allowance, 0)
            ) AS e (pool, taken, shift)
            WHERE e.taken <> 0
        )
        SELECT c.id, c.allowance, c.purchased, c.reserved, c.from_allowance
        FROM claimed LEFT JOIN charged AS c ON true
        WHERE 1 / (CASE WHEN c.id IS NULL THEN 0 ELSE 1 END) = 1
    """  # noqa: S608 (no input is formatted in: the account query is one of three fixed ones)


_DEDUCT_AT_ONCE = {
    **{
        kind: _deduct_at_once_sql(_account_of_owner(_OWNER_COLUMN[kind].key))
        for kind in ("user", "organization")
    },
    "api_key": _deduct_at_once_sql(_ACCOUNT_OF_KEY),
}
_SAVEPOINT = "ledger_deduct_at_once"


@dataclass(frozen=True)
class Deducted:
    account_id: str
    pools: Pools
    split: tuple[int, int]  # (from allowance, from purchased)


async def deduct_at_once(
    db: AsyncSession,
    *,
    owner_kind: Literal["user", "organization", "api_key"],
    owner_id: str,
    amount: int,
    operation_id: str,
    entry_ids: tuple[str, str],
    idempotency_key: str,
    request_hash: str,
    response: dict[str, Any],
    operation: str | None,
    resource_id: str | None,
    actor: str | None,
    now: datetime,
) -> Deducted | None:
    """Claim ``idempotency_key``, debit ``amount`` (allowance first) and log it in one
    statement (PostgreSQL only); None, with nothing written, when anything is not plain:
    no account yet, the key used before (or by a concurrent request), too little, or the
    account changed under the plan. The caller then takes the step-by-step path.

    ``entry_ids``: (the last entry's, an allowance entry's when both pools pay).

    When the session's connection is not in a transaction yet, the statement runs as its own
    transaction: the account's row is locked only while PostgreSQL runs and commits it, not
    while this process gets back to it and sends a COMMIT (requests on a hot account queue on
    that lock). Inside a transaction (a caller's, or a test's) it runs in a savepoint.
    """
    connection = await db.connection()
    driver: Any = (await connection.get_raw_connection()).driver_connection  # asyncpg's
    args = (
        owner_id,
        amount,
        now,
        idempotency_key,
        operation_id,
        request_hash,
        json.dumps(response),
        entry_ids[0],
        entry_ids[1],
        operation,
        resource_id,
        actor,
    )
    statement = _DEDUCT_AT_ONCE[owner_kind]
    nested = driver.is_in_transaction()
    if nested:
        await driver.execute(f"SAVEPOINT {_SAVEPOINT}")
    try:
        row = await driver.fetchrow(statement, *args)
    except asyncpg.DivisionByZeroError:  # claimed, but the row changed after the read
        if nested:
            await driver.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
        row = None
    if nested:
        await driver.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
    if row is None:
        return None
    from_allowance = int(row["from_allowance"])
    return Deducted(
        account_id=row["id"],
        pools=Pools(
            allowance=row["allowance"], purchased=row["purchased"], reserved=row["reserved"]
        ),
        split=(from_allowance, amount - from_allowance),
    )


def deducts_at_once(db: AsyncSession) -> bool:
    """Whether :func:`deduct_at_once` works on this session's backend."""
    return db.get_bind().dialect.name == "postgresql"


async def credit(
    db: AsyncSession, account_id: str, pool: Pool, amount: int, *, purchase: bool, now: datetime
) -> Pools | None:
    """Add to one pool (and to ``total_purchased`` for a purchase); None past MAX_BALANCE."""
    column = accounts.c.allowance if pool == "allowance" else accounts.c.purchased
    values: dict[str, Any] = {column.key: column + amount, "updated_at": now}
    # written so that no intermediate sum can overflow a 32-bit integer
    rules = [
        accounts.c.id == account_id,
        accounts.c.allowance + accounts.c.purchased <= MAX_BALANCE - amount,
    ]
    if purchase:
        values["total_purchased"] = accounts.c.total_purchased + amount
        rules.append(accounts.c.total_purchased <= MAX_BALANCE - amount)
    statement = update(accounts).where(*rules).values(values).returning(*_POOL_COLUMNS)
    row = (await db.execute(statement)).first()
    return _pools(row) if row is not None else None


async def take_purchased(
    db: AsyncSession, account_id: str, amount: int, now: datetime
) -> Pools | None:
    """Take purchased credits only (transfers; API-key pools hold nothing else)."""
    statement = (
        update(accounts)
        .where(
            accounts.c.id == account_id,
            accounts.c.purchased >= amount,
            accounts.c.allowance + accounts.c.purchased - accounts.c.reserved >= amount,
        )
        .values(purchased=accounts.c.purchased - amount, updated_at=now)
        .returning(*_POOL_COLUMNS)
    )
    row = (await db.execute(statement)).first()
    return _pools(row) if row is not None else None


async def reserve(db: AsyncSession, account_id: str, amount: int, now: datetime) -> Pools | None:
    statement = (
        update(accounts)
        .where(
            accounts.c.id == account_id,
            accounts.c.allowance + accounts.c.purchased - accounts.c.reserved >= amount,
        )
        .values(reserved=accounts.c.reserved + amount, updated_at=now)
        .returning(*_POOL_COLUMNS)
    )
    row = (await db.execute(statement)).first()
    return _pools(row) if row is not None else None


async def unreserve(db: AsyncSession, account_id: str, amount: int, now: datetime) -> Pools:
    statement = (
        update(accounts)
        .where(accounts.c.id == account_id)
        .values(reserved=accounts.c.reserved - amount, updated_at=now)
        .returning(*_POOL_COLUMNS)
    )
    return _pools((await db.execute(statement)).one())


async def replace_allowance(
    db: AsyncSession, account_id: str, allowance: int, resets_at: datetime | None, now: datetime
) -> Pools:
    """Set the allowance (the caller holds the row lock and planned the entries)."""
    statement = (
        update(accounts)
        .where(accounts.c.id == account_id)
        .values(allowance=allowance, allowance_resets_at=resets_at, updated_at=now)
        .returning(*_POOL_COLUMNS)
    )
    return _pools((await db.execute(statement)).one())


# ---- the log


async def add_entries(db: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Append entries in one statement (each dict: the columns of ``credit_transactions``)."""
    if rows:
        await db.execute(_ADD_ENTRY, list(rows))


async def operation_entries(db: AsyncSession, operation_id: str) -> list[dict[str, Any]]:
    query = select(
        entries.c.id,
        entries.c.account_id,
        entries.c.pool,
        entries.c.amount,
        entries.c.balance_after,
    ).where(entries.c.operation_id == operation_id)
    return [dict(row._mapping) for row in await db.execute(query)]


async def period_spend(
    db: AsyncSession, actor: str, account_ids: Iterable[str], since: datetime
) -> int:
    """Credits charged by ``actor`` (deductions and captures) since ``since``."""
    query = select(func.coalesce(func.sum(entries.c.amount), 0)).where(
        entries.c.account_id.in_(list(account_ids)),
        entries.c.created_at >= since,
        entries.c.actor == actor,
        entries.c.kind.in_(("deduct", "capture")),
    )
    return -int((await db.execute(query)).scalar_one())


async def list_entries(
    db: AsyncSession,
    account_id: str,
    *,
    kind: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    rules = [entries.c.account_id == account_id]
    if kind is not None:
        rules.append(entries.c.kind == kind)
    if since is not None:
        rules.append(entries.c.created_at >= since)
    if until is not None:
        rules.append(entries.c.created_at < until)
    total = (await db.execute(select(func.count()).select_from(entries).where(*rules))).scalar_one()
    query = (
        select(entries)
        .where(*rules)
        .order_by(entries.c.created_at.desc(), entries.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    rows = [dict(row._mapping) for row in await db.execute(query)]
    return rows, int(total)


# ---- holds


async def add_hold(
    db: AsyncSession,
    *,
    hold_id: str,
    account_id: str,
    amount: int,
    operation: str | None,
    resource_id: str | None,
    idempotency_key: str,
    expires_at: datetime,
    now: datetime,
) -> None:
    await db.execute(
        holds.insert().values(
            id=hold_id,
            account_id=account_id,
            amount=amount,
            status="held",
            operation=operation,
            resource_id=resource_id,
            idempotency_key=idempotency_key,
            expires_at=expires_at,
            created_at=now,
        )
    )


async def get_hold(db: AsyncSession, hold_id: str) -> Hold | None:
    query = select(
        holds.c.id,
        holds.c.account_id,
        holds.c.amount,
        holds.c.captured,
        holds.c.status,
        holds.c.expires_at,
    ).where(holds.c.id == hold_id)
    row = (await db.execute(query)).first()
    if row is None:
        return None
    return Hold(
        id=row.id,
        account_id=row.account_id,
        amount=row.amount,
        captured=row.captured,
        status=row.status,
        expires_at=row.expires_at,
    )


async def close_hold(
    db: AsyncSession, hold_id: str, *, captured: int | None, now: datetime
) -> int | None:
    """Capture (``captured`` credits) or release an open, unexpired hold, at most once.

    Returns the amount held, or None when the hold is not open, has expired, or holds less
    than ``captured``. Concurrent closers (and the sweeper) re-check ``status`` on the row
    they lock, so exactly one of them wins.
    """
    rules = [holds.c.id == hold_id, holds.c.status == "held", holds.c.expires_at > now]
    if captured is not None:
        rules.append(holds.c.amount >= captured)
    statement = (
        update(holds)
        .where(*rules)
        .values(
            status="captured" if captured is not None else "released",
            captured=captured,
            resolved_at=now,
        )
        .returning(holds.c.amount)
    )
    row = (await db.execute(statement)).first()
    return int(row.amount) if row is not None else None


async def release_open_holds(db: AsyncSession, account_id: str, now: datetime) -> int:
    """Release every open hold of an account; returns the credits they held."""
    statement = (
        update(holds)
        .where(holds.c.account_id == account_id, holds.c.status == "held")
        .values(status="released", resolved_at=now)
        .returning(holds.c.amount)
    )
    return sum(int(row.amount) for row in await db.execute(statement))


async def expire_holds(db: AsyncSession, now: datetime, limit: int) -> list[tuple[str, int]]:
    """Mark up to ``limit`` expired open holds expired; (account, amount) of each.

    ``SKIP LOCKED`` lets several sweepers (processes) share the work on PostgreSQL; the
    ``status`` re-check in the UPDATE keeps a hold that a capture or release closed
    meanwhile from being released twice.
    """
    due = (
        select(holds.c.id)
        .where(holds.c.status == "held", holds.c.expires_at <= now)
        .order_by(holds.c.expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True, key_share=True)
    )
    ids = [row.id for row in await db.execute(due)]
    if not ids:
        return []
    statement = (
        update(holds)
        .where(holds.c.id.in_(ids), holds.c.status == "held")
        .values(status="expired", resolved_at=now)
        .returning(holds.c.account_id, holds.c.amount)
    )
    return [(row.account_id, int(row.amount)) for row in await db.execute(statement)]


# ---- invariants (tests and operators)


async def pool_sums(db: AsyncSession) -> dict[tuple[str, str], int]:
    """Sum of entries per (account, pool)."""
    query = select(entries.c.account_id, entries.c.pool, func.sum(entries.c.amount)).group_by(
        entries.c.account_id, entries.c.pool
    )
    return {(row[0], row[1]): int(row[2]) for row in await db.execute(query)}


async def open_hold_sums(db: AsyncSession) -> dict[str, int]:
    query = (
        select(holds.c.account_id, func.sum(holds.c.amount))
        .where(holds.c.status == "held")
        .group_by(holds.c.account_id)
    )
    return {row[0]: int(row[1]) for row in await db.execute(query)}


async def all_pools(db: AsyncSession) -> dict[str, Pools]:
    query = select(accounts.c.id, *_POOL_COLUMNS)
    return {row.id: _pools(row) for row in await db.execute(query)}
