"""Credit deductions per second over internal HTTP, against the bare SQL deduction.

Measured: ``POST /internal/v1/credits/deduct`` on the auth service started as its own process
(``fltr-auth serve --workers 2``, one per core here), 32 concurrent clients, each its own
keep-alive connection, each deduction with its own idempotency key: on one hot account, and
spread over many accounts. For scale, the same clients' rate on ``GET /internal/v1/ping`` (no
database) is reported.

The clients share the two cores with the server and PostgreSQL, so what a client costs per
call is taken from the server. The baseline's client (asyncpg) costs about 0.1 ms of CPU per
call; an httpx call costs 0.7-0.9 ms, as much as the server's work. So the ratios are measured
with a minimal HTTP/1.1 client (:class:`Connection`, about as cheap as asyncpg), and, for
comparison with earlier runs, once more with httpx (``ratios_httpx_client``).

Baseline, in the same run on the same PostgreSQL: the single-statement deduction (a
conditional UPDATE and the log INSERT in one statement, one round trip, autocommit) from 32
asyncpg connections. Target (issue 5): HTTP >= 0.5x the baseline.

Needs PostgreSQL (FLTR_TEST_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.http_client import Connection
from fltr_auth.migration_spec import AUTH_MIGRATIONS
from tests.support import (
    ServiceProcess,
    clean_env,
    console_script,
    free_port,
    service_database,
    wait_for_http,
)

CLIENTS = 32
WORKERS = 2
MANY_ACCOUNTS = 256
SECONDS = 4.0  # per measurement
ROUNDS = 2  # alternating baseline and HTTP, best of each
TARGET_RATIO = 0.5
TOKEN = "bench-service-token-" + "x" * 32
BALANCE = 1_000_000_000

BASELINE_SQL = """
WITH charged AS (
    UPDATE credit_accounts SET purchased = purchased - $2, updated_at = now()
    WHERE id = $1 AND allowance = 0 AND allowance + purchased - reserved >= $2
    RETURNING id, allowance + purchased AS balance
)
INSERT INTO credit_transactions
    (id, account_id, pool, amount, balance_after, kind, operation, idempotency_key)
SELECT $3, charged.id, 'purchased', -$2, charged.balance, 'deduct', 'bench', $3 FROM charged
RETURNING balance_after
"""


async def _throughput(worker: Callable[[int], Awaitable[None]]) -> float:
    """Deductions per second of CLIENTS workers calling ``worker`` for SECONDS."""
    deadline = time.perf_counter() + SECONDS
    done = 0

    async def loop(index: int) -> None:
        nonlocal done
        for n in itertools.count():
            if time.perf_counter() >= deadline:
                return
            await worker(index * 1_000_000 + n)
            done += 1

    start = time.perf_counter()
    await asyncio.gather(*(loop(i) for i in range(CLIENTS)))
    return done / (time.perf_counter() - start)


async def _seed(dsn: str, count: int) -> tuple[list[str], list[str]]:
    """Users with one funded account each (purchased credits, no allowance)."""
    users = [uuid.uuid4().hex for _ in range(count)]
    accounts = [uuid.uuid4().hex for _ in range(count)]
    conn = await asyncpg.connect(dsn)
    try:
        await conn.executemany(
            "INSERT INTO users (id, name, email) VALUES ($1, 'Bench', $1 || '@bench.io')",
            [(u,) for u in users],
        )
        await conn.executemany(
            "INSERT INTO credit_accounts (id, user_id, purchased) VALUES ($1, $2, $3)",
            [(a, u, BALANCE) for a, u in zip(accounts, users, strict=True)],
        )
        await conn.executemany(
            "INSERT INTO credit_transactions (id, account_id, pool, amount, balance_after, kind)"
            " VALUES ($1, $1, 'purchased', $2, $2, 'grant')",
            [(a, BALANCE) for a in accounts],
        )
    finally:
        await conn.close()
    return users, accounts


async def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        async with service_database("fltr_auth_bench", AUTH_MIGRATIONS, tmp_dir) as url:
            dsn = url.replace("+asyncpg", "")
            users, accounts = await _seed(dsn, 1 + MANY_ACCOUNTS)
            hot_user, many_users = users[0], users[1:]
            hot_account, many_accounts = accounts[0], accounts[1:]
            port = free_port()
            env = clean_env(
                DATABASE_URL=url,
                INTERNAL_SERVICE_TOKEN=TOKEN,
                VAR_DIR=str(tmp_dir / "var"),
                DB_POOL_SIZE=str(CLIENTS // WORKERS),
                DB_MAX_OVERFLOW="0",
            )
            server = ServiceProcess(
                [
                    console_script("fltr-auth"),
                    "serve",
                    "--port",
                    str(port),
                    "--workers",
                    str(WORKERS),
                ],
                env,
                tmp_dir / "auth.log",
            )
            pool = await asyncpg.create_pool(dsn, min_size=CLIENTS, max_size=CLIENTS)
            with server:
                base = f"http://127.0.0.1:{port}"
                await asyncio.to_thread(wait_for_http, f"{base}/health", 30.0, server)
                auth = {"Authorization": f"Bearer {TOKEN}"}
                clients = [Connection("127.0.0.1", port, auth) for _ in range(CLIENTS)]
                httpx_clients = [
                    httpx.AsyncClient(
                        base_url=base,
                        limits=httpx.Limits(max_connections=1),
                        timeout=30,
                        headers=auth,
                    )
                    for _ in range(CLIENTS)
                ]
                try:

                    def client_of(n: int) -> Connection:
                        return clients[n // 1_000_000 % CLIENTS]

                    def body_of(user_id: str) -> dict[str, Any]:
                        key = uuid.uuid4().hex
                        return {
                            "user_id": user_id,
                            "amount": 1,
                            "idempotency_key": key,
                            "operation": "bench",
                        }

                    async def ping(n: int) -> None:
                        status, text = await client_of(n).request("GET", "/internal/v1/ping")
                        assert status == 200, text

                    def http(pick: Callable[[int], str]) -> Callable[[int], Awaitable[None]]:
                        async def deduct(n: int) -> None:
                            body = json.dumps(body_of(pick(n))).encode()
                            status, text = await client_of(n).request(
                                "POST", "/internal/v1/credits/deduct", body
                            )
                            assert status == 200, text

                        return deduct

                    def with_httpx(pick: Callable[[int], str]) -> Callable[[int], Awaitable[None]]:
                        async def deduct(n: int) -> None:
                            client = httpx_clients[n // 1_000_000 % CLIENTS]
                            response = await client.post(
                                "/internal/v1/credits/deduct", json=body_of(pick(n))
                            )
                            response.raise_for_status()

                        return deduct

                    def sql(pick: Callable[[int], str]) -> Callable[[int], Awaitable[None]]:
                        async def deduct(n: int) -> None:
                            async with pool.acquire() as conn:
                                row = await conn.fetchrow(
                                    BASELINE_SQL, pick(n), 1, uuid.uuid4().hex
                                )
                            assert row is not None

                        return deduct

                    cases = {
                        "sql_hot": sql(lambda n: hot_account),
                        "http_hot": http(lambda n: hot_user),
                        "sql_many": sql(lambda n: many_accounts[n % MANY_ACCOUNTS]),
                        "http_many": http(lambda n: many_users[n % MANY_ACCOUNTS]),
                    }
                    cases["http_ping"] = ping
                    cases["httpx_hot"] = with_httpx(lambda n: hot_user)
                    cases["httpx_many"] = with_httpx(lambda n: many_users[n % MANY_ACCOUNTS])
                    for worker in cases.values():  # warm up: connections, statement caches
                        for _ in range(2):
                            await asyncio.gather(*(worker(i * 1_000_000) for i in range(CLIENTS)))
                    best = dict.fromkeys(cases, 0.0)
                    for _ in range(ROUNDS):
                        for name, worker in cases.items():
                            best[name] = max(best[name], await _throughput(worker))
                finally:
                    for client in clients:
                        await client.close()
                    for httpx_client in httpx_clients:
                        await httpx_client.aclose()
            await pool.close()
            problems = await _ledger_problems(dsn)
    ratios = {
        "hot_account": round(best["http_hot"] / best["sql_hot"], 3),
        "many_accounts": round(best["http_many"] / best["sql_many"], 3),
    }
    ratios_httpx = {
        "hot_account": round(best["httpx_hot"] / best["sql_hot"], 3),
        "many_accounts": round(best["httpx_many"] / best["sql_many"], 3),
    }
    return {
        "sql_hot_per_s": round(best["sql_hot"], 1),
        "http_hot_per_s": round(best["http_hot"], 1),
        "sql_many_per_s": round(best["sql_many"], 1),
        "http_many_per_s": round(best["http_many"], 1),
        "http_ping_per_s": round(best["http_ping"], 1),
        "ratios": ratios,
        "httpx_hot_per_s": round(best["httpx_hot"], 1),
        "httpx_many_per_s": round(best["httpx_many"], 1),
        "ratios_httpx_client": ratios_httpx,
        "target_at_least": TARGET_RATIO,
        "meets_target": all(r >= TARGET_RATIO for r in ratios.values()) and not problems,
        "ledger_consistent": not problems,
        "clients": CLIENTS,
        "server_workers": WORKERS,
        "many_accounts": MANY_ACCOUNTS,
        "seconds_per_measurement": SECONDS,
        "rounds": ROUNDS,
    }


async def _ledger_problems(dsn: str) -> list[str]:
    """Entries still sum to every balance after the run (both paths wrote them)."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT a.id FROM credit_accounts a LEFT JOIN credit_transactions t"
            " ON t.account_id = a.id AND t.pool = 'purchased'"
            " GROUP BY a.id, a.purchased HAVING a.purchased <> COALESCE(SUM(t.amount), 0)"
        )
    finally:
        await conn.close()
    return [row["id"] for row in rows]
