"""Load test (issue 11): search with API keys, ingestion and credit deductions, all at once.

The production shape, loopback only: PostgreSQL for both services (throwaway databases), a
Milvus Lite server reached by URI, Redis for rate limits, the real MiniLM embedder; the auth
and content services as their own processes (``serve --workers 1`` each). Setup: a curator
with a public dataset of ``SETUP_DOCS`` small documents (``bench/corpus.py``) indexed,
``SEARCHERS`` users with ``KEYS_PER_SEARCHER`` read-scoped API keys each, ``DEDUCTERS`` users
for the ledger stream; every user is granted ``GRANT`` credits.

Then, for ``--duration`` seconds (default 60), three httpx streams run concurrently:

- ``search``: ``SEARCH_CLIENTS`` clients, each on an API key, cycling dense, keyword and hybrid
  over REST, a fresh ``Idempotency-Key`` each (so each is charged once);
- ``ingestion``: ``INGEST_CLIENTS`` clients, each uploading ``DOCS_PER_UPLOAD`` small new
  documents and waiting until their jobs end before the next upload (``ingestion_jobs``
  times upload-to-succeeded per document);
- ``deductions``: ``DEDUCT_CLIENTS`` clients on ``POST /internal/v1/credits/deduct`` with the
  service token and unique idempotency keys; every ``REPLAY_EVERY``-th call replays an
  earlier one (same key and body), which must answer ``Idempotent-Replayed: true`` with the
  original transaction and move nothing.

Per stream: requests, throughput, p50/p95/p99 latency, errors by status. At the end the
ledger must add up for every user: the balance drop equals what the clients saw charged
(deductions answered 200 and not replayed, ``credits_charged`` of searches answered 200,
``credits_charged`` of succeeded jobs), nothing is left reserved, and every account's ledger
entries still sum to its balance. A request whose outcome is unknown (timeout, 5xx) is sent
again afterwards with the same idempotency key, which tells whether it was charged.

No target: on 2 cores the load generator, PostgreSQL, Redis, Milvus and both services share
the cores, so the figures say what this machine sustains with all of it on board.

Run: ``uv run --frozen python -m bench.load --duration 60`` (writes bench/results/load.json),
or ``python -m bench load`` for the default duration.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.corpus import paragraphs
from bench.credit_deductions import _ledger_problems
from fltr_auth.migration_spec import AUTH_MIGRATIONS
from fltr_content.migration_spec import CONTENT_MIGRATIONS
from tests.milvus_server import milvus_server, wait_for_port
from tests.support import (
    ServiceProcess,
    clean_env,
    console_script,
    free_port,
    service_database,
    wait_for_http,
)

DURATION = 60.0
TOKEN = "bench-service-token-" + "l" * 32
GRANT = 10_000_000
SETUP_DOCS = 12
SEARCHERS = 2
KEYS_PER_SEARCHER = 3
DEDUCTERS = 2
SEARCH_CLIENTS = 12
INGEST_CLIENTS = 2
DOCS_PER_UPLOAD = 2
DEDUCT_CLIENTS = 4
REPLAY_EVERY = 10
TIMEOUT = 30.0
JOB_WAIT = 120.0  # an ingestion client's longest wait for its jobs, past the deadline too
MODES = ("dense", "keyword", "hybrid")
QUERIES = ["river tariff", "protein enzyme", "orbit glacier", "statute appeal", "solar battery"]
REDIS_URL = "redis://127.0.0.1:6379/12"


@dataclass
class Stream:
    """One stream's answers: a latency per request and a count per outcome."""

    ok: tuple[int, ...] = (200,)
    latencies: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0

    def record(self, started: float, status: int | str) -> None:
        self.latencies.append(time.perf_counter() - started)
        self.outcomes[str(status)] += 1

    def summary(self) -> dict[str, Any]:
        errors = {k: v for k, v in self.outcomes.items() if k not in {str(s) for s in self.ok}}
        return {
            "requests": len(self.latencies),
            "rps": round(len(self.latencies) / self.elapsed, 2) if self.elapsed else 0.0,
            **_percentiles(self.latencies),
            "errors": sum(errors.values()),
            "errors_by_status": dict(sorted(errors.items())),
        }


def _percentiles(samples: list[float]) -> dict[str, float | None]:
    if len(samples) < 2:  # quantiles need two points; a tiny smoke run may have fewer
        only = round(samples[0] * 1000, 1) if samples else None
        return {"p50_ms": only, "p95_ms": only, "p99_ms": only}
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {
        "p50_ms": round(cuts[49] * 1000, 1),
        "p95_ms": round(cuts[94] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
    }


@dataclass
class Setup:
    auth_url: str
    content_url: str
    curator: str
    curator_session: dict[str, str]
    slug: str
    keys: list[tuple[str, str]]  # (owner's user id, key secret)
    deducters: list[str]

    @property
    def users(self) -> list[str]:
        return [self.curator, *{owner for owner, _ in self.keys}, *self.deducters]


SERVICE = {"Authorization": f"Bearer {TOKEN}"}


async def _user(client: httpx.AsyncClient, auth_url: str, name: str) -> tuple[str, dict[str, str]]:
    signed = await client.post(
        f"{auth_url}/api/auth/sign-up/email",
        json={
            "email": f"load-{name}-{uuid.uuid4().hex[:8]}@example.com",
            "password": "correct horse battery staple",
            "name": name,
        },
    )
    signed.raise_for_status()
    client.cookies.clear()  # a cookie would make the next call a browser call (Origin)
    user_id = signed.json()["user"]["id"]
    granted = await client.post(
        f"{auth_url}/internal/v1/credits/grant",
        json={
            "user_id": user_id,
            "amount": GRANT,
            "idempotency_key": uuid.uuid4().hex,
            "reason": "load",
        },
        headers=SERVICE,
    )
    granted.raise_for_status()
    return user_id, {"Authorization": f"Bearer {signed.headers['set-auth-token']}"}


async def _wait_jobs(
    client: httpx.AsyncClient,
    content_url: str,
    session: dict[str, str],
    job_ids: list[str],
    stream: Stream | None = None,
) -> dict[str, dict[str, Any]]:
    """Poll until every job ended (or JOB_WAIT passed); the jobs' last answers by id."""
    pending, ended = set(job_ids), {}
    deadline = time.perf_counter() + JOB_WAIT
    while pending and time.perf_counter() < deadline:
        await asyncio.sleep(0.2)
        for job_id in sorted(pending):
            try:
                answer = await client.get(f"{content_url}/api/v1/jobs/{job_id}", headers=session)
            except httpx.TransportError as exc:
                if stream is not None:
                    stream.outcomes[f"poll_{type(exc).__name__}"] += 1
                continue
            if answer.status_code != 200:
                if stream is not None:
                    stream.outcomes[f"poll_{answer.status_code}"] += 1
                continue
            job = answer.json()
            if job["state"] in ("succeeded", "failed", "cancelled"):
                ended[job_id] = job
                pending.discard(job_id)
    return ended


async def _setup(client: httpx.AsyncClient, auth_url: str, content_url: str) -> Setup:
    curator, session = await _user(client, auth_url, "curator")
    made = await client.post(
        f"{content_url}/api/v1/datasets",
        json={"name": "Load", "visibility": "public"},
        headers=session,
    )
    made.raise_for_status()
    slug = made.json()["slug"]
    uploaded = await client.post(
        f"{content_url}/api/v1/datasets/{slug}/documents",
        files=[
            ("files", (f"setup-{i}.txt", "\n\n".join(paragraphs(i, 4)).encode()))
            for i in range(SETUP_DOCS)
        ],
        headers=session,
    )
    uploaded.raise_for_status()
    jobs = await _wait_jobs(
        client, content_url, session, [d["job_id"] for d in uploaded.json()["documents"]]
    )
    if len(jobs) != SETUP_DOCS or any(j["state"] != "succeeded" for j in jobs.values()):
        raise RuntimeError(f"setup ingestion did not succeed: {jobs}")
    keys = []
    for n in range(SEARCHERS):
        owner, owner_session = await _user(client, auth_url, f"searcher{n}")
        for k in range(KEYS_PER_SEARCHER):
            key = await client.post(
                f"{auth_url}/api/v1/api-keys",
                json={"name": f"load {k}", "scopes": ["read"], "rate_limit_per_minute": 10_000},
                headers=owner_session,
            )
            key.raise_for_status()
            keys.append((owner, str(key.json()["key"])))
    deducters = [(await _user(client, auth_url, f"deducter{n}"))[0] for n in range(DEDUCTERS)]
    return Setup(auth_url, content_url, curator, session, slug, keys, deducters)


async def _settled_balances(
    client: httpx.AsyncClient, setup: Setup, timeout: float = 30.0
) -> dict[str, dict[str, Any]]:
    """The balances once searches answered before their charge reached the ledger have been
    charged (SEARCH_CHARGE_FLUSH_SECONDS, 0.2 s by default): two reads a second apart agree."""
    deadline = time.perf_counter() + timeout
    seen = await _balances(client, setup)
    while True:
        await asyncio.sleep(1.0)
        again = await _balances(client, setup)
        if again == seen or time.perf_counter() > deadline:
            return again
        seen = again


async def _balances(client: httpx.AsyncClient, setup: Setup) -> dict[str, dict[str, Any]]:
    balances = {}
    for user in setup.users:
        answer = await client.get(
            f"{setup.auth_url}/internal/v1/credits/balance",
            params={"user_id": user},
            headers=SERVICE,
        )
        answer.raise_for_status()
        balances[user] = answer.json()
    return balances


async def _search_stream(
    client: httpx.AsyncClient, setup: Setup, deadline: float, charged: Counter[str]
) -> tuple[Stream, dict[str, Any]]:
    stream = Stream()
    by_mode: dict[str, list[float]] = {mode: [] for mode in MODES}
    empty = 0  # answers with no hits: every query's words are in the corpus, so suspicious
    unknown: list[tuple[str, dict[str, str], dict[str, Any]]] = []
    url = f"{setup.content_url}/api/v1/datasets/{setup.slug}/search"

    async def one_client(n: int) -> None:
        nonlocal empty
        owner, key = setup.keys[n % len(setup.keys)]
        for i in itertools.count():
            if time.perf_counter() >= deadline:
                return
            body: dict[str, Any] = {
                "query": QUERIES[(n + i) % len(QUERIES)],
                "mode": MODES[i % 3],
                "top_k": 5,
            }
            headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": uuid.uuid4().hex}
            started = time.perf_counter()
            try:
                answer = await client.post(url, json=body, headers=headers)
            except httpx.TransportError as exc:
                stream.record(started, type(exc).__name__)
                unknown.append((owner, headers, body))
                continue
            stream.record(started, answer.status_code)
            if answer.status_code == 200:
                by_mode[body["mode"]].append(stream.latencies[-1])
                found = answer.json()
                charged[owner] += found["credits_charged"]
                empty += not found["results"]
            elif answer.status_code >= 500:
                unknown.append((owner, headers, body))

    started = time.perf_counter()
    await asyncio.gather(*(one_client(n) for n in range(SEARCH_CLIENTS)))
    stream.elapsed = time.perf_counter() - started
    # the same Idempotency-Key again: charged at most once in all, so its answer settles it
    for owner, headers, body in unknown:
        answer = await client.post(url, json=body, headers=headers)
        if answer.status_code == 200:
            charged[owner] += answer.json()["credits_charged"]
    modes = {mode: {"requests": len(v), **_percentiles(v)} for mode, v in by_mode.items()}
    return stream, {"by_mode": modes, "empty_results": empty}


async def _deduct_stream(
    client: httpx.AsyncClient, setup: Setup, deadline: float, charged: Counter[str]
) -> tuple[Stream, dict[str, int]]:
    stream = Stream()
    replays = {"replays": 0, "replayed_as_original": 0}
    unknown: list[dict[str, Any]] = []
    url = f"{setup.auth_url}/internal/v1/credits/deduct"

    async def one_client(n: int) -> None:
        done: list[tuple[dict[str, Any], str]] = []  # (body, transaction id) answered 200
        for i in itertools.count():
            if time.perf_counter() >= deadline:
                return
            replay = bool(done) and i % REPLAY_EVERY == REPLAY_EVERY - 1
            if replay:
                body, transaction = done[i % len(done)]
            else:
                body = {
                    "user_id": setup.deducters[(n + i) % len(setup.deducters)],
                    "amount": 1 + i % 3,
                    "idempotency_key": uuid.uuid4().hex,
                    "operation": "load",
                }
            started = time.perf_counter()
            try:
                answer = await client.post(url, json=body, headers=SERVICE)
            except httpx.TransportError as exc:
                stream.record(started, type(exc).__name__)
                if not replay:
                    unknown.append(body)
                continue
            stream.record(started, answer.status_code)
            if replay:
                replays["replays"] += 1
                if (
                    answer.status_code == 200
                    and answer.headers.get("Idempotent-Replayed") == "true"
                    and answer.json()["transaction_id"] == transaction
                ):
                    replays["replayed_as_original"] += 1
            elif answer.status_code >= 500:
                unknown.append(body)
            elif answer.status_code == 200:
                charged[body["user_id"]] += body["amount"]
                done.append((body, answer.json()["transaction_id"]))

    started = time.perf_counter()
    await asyncio.gather(*(one_client(n) for n in range(DEDUCT_CLIENTS)))
    stream.elapsed = time.perf_counter() - started
    # a retry with the same key applies it at most once in all (replayed if the first
    # attempt had gone through, charged now if not), so a 200 settles it as charged once
    for body in unknown:
        answer = await client.post(url, json=body, headers=SERVICE)
        if answer.status_code == 200:
            charged[body["user_id"]] += body["amount"]
    return stream, replays


async def _ingest_stream(
    client: httpx.AsyncClient, setup: Setup, deadline: float, charged: Counter[str]
) -> tuple[Stream, Stream]:
    uploads, jobs = Stream(ok=(202,)), Stream(ok=(200,))
    url = f"{setup.content_url}/api/v1/datasets/{setup.slug}/documents"

    async def one_client(n: int) -> None:
        for i in itertools.count():
            if time.perf_counter() >= deadline:
                return
            seed = 10_000 + n * 100_000 + i * DOCS_PER_UPLOAD
            files = [
                ("files", (f"load-{seed + d}.txt", "\n\n".join(paragraphs(seed + d, 2)).encode()))
                for d in range(DOCS_PER_UPLOAD)
            ]
            started = time.perf_counter()
            try:
                answer = await client.post(url, files=files, headers=setup.curator_session)
            except httpx.TransportError as exc:
                uploads.record(started, type(exc).__name__)
                continue
            uploads.record(started, answer.status_code)
            if answer.status_code != 202:
                continue
            ids = [d["job_id"] for d in answer.json()["documents"] if d["job_id"]]
            ended = await _wait_jobs(client, setup.content_url, setup.curator_session, ids, jobs)
            for job_id in ids:  # one sample per document: upload sent to job ended
                job = ended.get(job_id)
                state = job["state"] if job else "unfinished"
                jobs.record(started, 200 if state == "succeeded" else f"job_{state}")
                if job:
                    charged[setup.curator] += job["credits_charged"]

    started = time.perf_counter()
    await asyncio.gather(*(one_client(n) for n in range(INGEST_CLIENTS)))
    uploads.elapsed = jobs.elapsed = time.perf_counter() - started
    return uploads, jobs


def _ledger(
    setup: Setup,
    before: dict[str, dict[str, Any]],
    after: dict[str, dict[str, Any]],
    charged: Counter[str],
) -> dict[str, Any]:
    """Each user's balance drop against what the clients saw charged. ``run`` adds the
    entries-sum-to-balances check once the services have stopped."""
    users = {}
    for user in setup.users:
        role = (
            "curator"
            if user == setup.curator
            else "deducter"
            if user in setup.deducters
            else "searcher"
        )
        drop = before[user]["credits"] - after[user]["credits"]
        users[user] = {
            "role": role,
            "balance_drop": drop,
            "charged_as_seen_by_clients": charged[user],
            "reserved_after": after[user]["pools"]["reserved"],
            "adds_up": drop == charged[user] and after[user]["pools"]["reserved"] == 0,
        }
    return {"users": users, "consistent": all(u["adds_up"] for u in users.values())}


async def run(duration: float = DURATION) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="fltr-load-") as tmp:
        var = Path(tmp)
        async with (
            service_database("fltr_auth_load", AUTH_MIGRATIONS, var) as auth_db,
            service_database("fltr_load", CONTENT_MIGRATIONS, var) as content_db,
        ):
            milvus, milvus_url = milvus_server(var / "milvus.db", var / "milvus.log")
            auth_port, content_port = free_port(), free_port()
            auth_url = f"http://127.0.0.1:{auth_port}"
            content_url = f"http://127.0.0.1:{content_port}"
            common = {
                "INTERNAL_SERVICE_TOKEN": TOKEN,
                "LOG_LEVEL": "WARNING",
                "VAR_DIR": str(var),
                "REDIS_URL": REDIS_URL,
            }
            auth = ServiceProcess(
                [console_script("fltr-auth"), "serve", "--port", str(auth_port), "--workers", "1"],
                clean_env(**common, DATABASE_URL=auth_db, SIGN_IN_RATE_LIMIT="1000/minute"),
                var / "auth.log",
            )
            content = ServiceProcess(
                [
                    console_script("fltr-content"),
                    "serve",
                    "--port",
                    str(content_port),
                    "--workers",
                    "1",
                ],
                clean_env(
                    **common,
                    DATABASE_URL=content_db,
                    AUTH_SERVICE_URL=auth_url,
                    MILVUS_URI=milvus_url,
                    # the ingestion clients poll their jobs with a session
                    USER_RATE_LIMIT_PER_MINUTE="100000",
                ),
                var / "content.log",
            )
            with milvus:
                wait_for_port(milvus_url)
                with auth, content:
                    try:
                        await asyncio.to_thread(wait_for_http, f"{auth_url}/health", 30.0, auth)
                        await asyncio.to_thread(
                            wait_for_http, f"{content_url}/health", 90.0, content
                        )
                        result = await _measure(auth_url, content_url, duration)
                    except Exception:
                        print(auth.log()[-3000:], content.log()[-3000:], sep="\n")
                        raise
            problems = await _ledger_problems(auth_db.replace("+asyncpg", ""))
    result["ledger"]["entries_sum_to_balances"] = not problems
    result["ledger"]["consistent"] = result["ledger"]["consistent"] and not problems
    deductions = result["deductions"]
    result["meets_target"] = (
        result["ledger"]["consistent"]
        and not result["server_errors"]
        and deductions["replays"] == deductions["replayed_as_original"]
    )
    print(table(result))
    return result


async def _measure(auth_url: str, content_url: str, duration: float) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=SEARCH_CLIENTS + DEDUCT_CLIENTS + INGEST_CLIENTS)
    async with httpx.AsyncClient(timeout=TIMEOUT, limits=limits) as client:
        setup_started = time.perf_counter()
        setup = await _setup(client, auth_url, content_url)
        setup_seconds = time.perf_counter() - setup_started
        before = await _balances(client, setup)
        charged: Counter[str] = Counter()
        deadline = time.perf_counter() + duration
        ((search, search_extra), (deductions, replays), (uploads, jobs)) = await asyncio.gather(
            _search_stream(client, setup, deadline, charged),
            _deduct_stream(client, setup, deadline, charged),
            _ingest_stream(client, setup, deadline, charged),
        )
        after = await _settled_balances(client, setup)
    streams = {
        "search": {**search.summary(), **search_extra},
        "deductions": {**deductions.summary(), **replays},
        "ingestion_uploads": uploads.summary(),
        "ingestion_jobs": jobs.summary(),
    }
    server_errors = sum(
        count
        for stream in (search, deductions, uploads, jobs)
        for status, count in stream.outcomes.items()
        if _is_server_error(status)
    )
    return {
        "duration_seconds": duration,
        "setup_seconds": round(setup_seconds, 1),
        "embedding_provider": "minilm",
        "clients": {
            "search": SEARCH_CLIENTS,
            "deductions": DEDUCT_CLIENTS,
            "ingestion": INGEST_CLIENTS,
        },
        "api_keys": len(setup.keys),
        "setup_documents": SETUP_DOCS,
        **streams,
        "server_errors": server_errors,
        "ledger": _ledger(setup, before, after, charged),
    }


def _is_server_error(outcome: str) -> bool:
    """5xx, a timeout or dropped connection, a failed job: the load broke something. A 4xx
    (402, 429) is the service refusing as documented."""
    status = outcome.removeprefix("poll_")
    return int(status) >= 500 if status.isdigit() else True


def table(result: dict[str, Any]) -> str:
    head = f"{'stream':<18} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
    head += f"{'p99 ms':>8} {'errors':>6}  by status"
    lines = [head]
    for name in ("search", "deductions", "ingestion_uploads", "ingestion_jobs"):
        s = result[name]
        lines.append(
            f"{name:<18} {s['requests']:>8} {s['rps']:>8} {s['p50_ms']!s:>8} {s['p95_ms']!s:>8}"
            f" {s['p99_ms']!s:>8} {s['errors']:>6}  {s['errors_by_status'] or '-'}"
        )
        if name == "search":
            for mode, m in s["by_mode"].items():
                lines.append(
                    f"  {mode:<16} {m['requests']:>8} {'':>8} {m['p50_ms']!s:>8}"
                    f" {m['p95_ms']!s:>8} {m['p99_ms']!s:>8}"
                )
    ledger = result["ledger"]
    lines.append(f"search answers with no hits: {result['search']['empty_results']}")
    lines.append(
        f"deduction replays: {result['deductions']['replays']}"
        f" ({result['deductions']['replayed_as_original']} answered as the original)"
    )
    for user in ledger["users"].values():
        lines.append(
            f"ledger {user['role']:<9} drop {user['balance_drop']:>7}"
            f" = charged {user['charged_as_seen_by_clients']:>7}: {user['adds_up']}"
        )
    lines.append(f"ledger consistent: {ledger['consistent']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--duration", type=float, default=DURATION, help="seconds of load")
    args = parser.parse_args()
    result = asyncio.run(run(args.duration))
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    (results / "load.json").write_text(json.dumps(result, indent=2) + "\n")
    raise SystemExit(0 if result["meets_target"] else 1)


if __name__ == "__main__":
    main()
