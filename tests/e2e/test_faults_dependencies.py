"""Faults while traffic runs (issue 11): PostgreSQL restarted mid-ingestion, Redis down.

Both services, a Celery worker with beat, a Milvus Lite server and private PostgreSQL and
Redis servers run as real processes; the test stops and restarts its own PostgreSQL and
Redis (never the machine's shared ones).

- PostgreSQL restarted (``-m fast`` and ``-m immediate``) while a 120-page document is being
  embedded, kept down until the worker's next checkpoint has failed: the job ends succeeded
  on its second attempt (the first one's lease runs out, beat sends it again), with exactly
  the chunks of a clean run and no duplicate, its hold captured once, the balance right, and
  both services healthy again.
- Redis down: API requests still answer (rate limits fail open, as documented: no
  ``RateLimit-*`` headers and a logged warning), an upload made while the broker is down is
  accepted and not lost: once Redis is back, beat re-sends the queued job from the jobs table
  and the worker finishes it.
- The content service itself restarted mid-job in in-process mode (no Celery): its graceful
  shutdown puts the job back in the queue and the new process finishes it at once, long
  before the job's lease would have run out.
"""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from fltr_auth.migration_spec import AUTH_MIGRATIONS
from fltr_content.ingest.chunking import chunk_document
from fltr_content.ingest.parsers import parse_document
from fltr_content.migration_spec import CONTENT_MIGRATIONS
from tests.content import documents as docs
from tests.e2e.private_servers import PrivatePostgres, PrivateRedis, why_no_private_postgres
from tests.e2e.test_ingest_celery import (
    Stack,
    curator,
    milvus_rows,
    start_worker,
    wait_job,
)
from tests.milvus_server import milvus_server, wait_for_port
from tests.support import (
    BACKEND,
    TEST_SERVICE_TOKEN,
    ServiceProcess,
    clean_env,
    console_script,
    free_port,
    wait_for_http,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(BACKEND != "postgresql", reason="the fault tests run on PostgreSQL"),
    pytest.mark.skipif(
        why_no_private_postgres() is not None, reason=why_no_private_postgres() or ""
    ),
]

# a service's imports alone took over 30 s on a loaded 2-core machine
STARTUP_SECONDS = 120.0
IN_PROCESS_LEASE_SECONDS = 120  # far longer than the requeued job may take to come back
LEASE_SECONDS = 10  # the smallest lease the settings allow: a dead attempt is found soon


@dataclass
class FaultStack(Stack):
    postgres: PrivatePostgres
    redis: PrivateRedis
    auth: ServiceProcess
    content: ServiceProcess
    worker: ServiceProcess


@pytest.fixture(scope="module")
def fault_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultStack]:
    """One stack for the module (starting it, and the worker's model, takes ~30 s): each test
    puts back what it stopped."""
    tmp = tmp_path_factory.mktemp("faults")
    postgres = PrivatePostgres()
    broker = PrivateRedis(tmp / "redis.log")
    try:
        postgres.start()
        auth_db = postgres.database(f"fltr_auth_{uuid.uuid4().hex[:8]}", AUTH_MIGRATIONS)
        content_db = postgres.database(f"fltr_{uuid.uuid4().hex[:8]}", CONTENT_MIGRATIONS)
        broker.start()
        auth_port, content_port = free_port(), free_port()
        auth_url = f"http://127.0.0.1:{auth_port}"
        content_url = f"http://127.0.0.1:{content_port}"
        milvus, milvus_url = milvus_server(tmp / "milvus.db", tmp / "milvus.log")
        common = {"VAR_DIR": str(tmp / "var"), "INTERNAL_SERVICE_TOKEN": TEST_SERVICE_TOKEN}
        content_env = clean_env(
            **common,
            DATABASE_URL=content_db,
            AUTH_SERVICE_URL=auth_url,
            MILVUS_URI=milvus_url,
            CELERY_BROKER_URL=broker.url,
            REDIS_URL=broker.url,
            JOB_LEASE_SECONDS=str(LEASE_SECONDS),
            JOB_POLL_SECONDS="1",
            USER_RATE_LIMIT_PER_MINUTE="100000",  # the test polls job progress often
        )
        auth = ServiceProcess(
            [console_script("fltr-auth"), "serve", "--port", str(auth_port)],
            clean_env(**common, DATABASE_URL=auth_db),
            tmp / "auth.log",
        )
        content = ServiceProcess(
            [console_script("fltr-content"), "serve", "--port", str(content_port)],
            content_env,
            tmp / "content.log",
        )
        with milvus:
            wait_for_port(milvus_url)
            with auth, content:
                wait_for_http(f"{auth_url}/health", STARTUP_SECONDS, proc=auth)
                wait_for_http(f"{content_url}/health", STARTUP_SECONDS, proc=content)
                stack = Stack(auth_url, content_url, milvus_url, content_env, tmp)
                worker = start_worker(stack, "worker")
                try:
                    yield FaultStack(
                        auth_url,
                        content_url,
                        milvus_url,
                        content_env,
                        tmp,
                        postgres,
                        broker,
                        auth,
                        content,
                        worker,
                    )
                finally:
                    worker.stop(signal.SIGTERM)
    finally:
        broker.stop()
        postgres.remove()


async def _job(client: httpx.AsyncClient, stack: Stack, who: dict[str, Any], job_id: str) -> Any:
    response = await client.get(f"{stack.content_url}/api/v1/jobs/{job_id}", headers=who["headers"])
    assert response.status_code == 200, response.text
    return response.json()


async def _transactions(client: httpx.AsyncClient, stack: Stack, who: dict[str, Any]) -> Any:
    response = await client.get(
        f"{stack.content_url}/api/v1/credits/transactions?limit=100", headers=who["headers"]
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return body["items"] if isinstance(body, dict) else body


async def _healthy(client: httpx.AsyncClient, url: str, timeout: float = 30.0) -> float:
    """Seconds until ``url``/health answers 200 again."""
    began = time.monotonic()
    while True:
        try:
            if (await client.get(f"{url}/health")).status_code == 200:
                return time.monotonic() - began
        except httpx.TransportError:
            pass
        assert time.monotonic() - began < timeout, f"{url} not healthy after {timeout} s"
        await asyncio.sleep(0.2)


def _attempt_failed(stack: FaultStack, job_id: str) -> int:
    """How many attempts of the job the worker logged as failed."""
    return sum(
        1
        for line in stack.worker.log().splitlines()
        if "job_attempt_failed" in line and job_id in line
    )


@pytest.mark.parametrize("mode", ["fast", "immediate"])
async def test_postgres_restarted_mid_ingestion_finishes_once(
    fault_stack: FaultStack, mode: str
) -> None:
    stack = fault_stack
    pages = tuple(
        f"Page {n}. " + " ".join(docs.PAGE_TEXTS) + f" Closing remark number {n}."
        for n in range(1, 121)
    )
    pdf = docs.pdf_pages(pages, title="A Hundred and Twenty Pages")
    expected = len(chunk_document(parse_document(pdf, "pdf"), chunk_size=256, overlap=32))

    async with httpx.AsyncClient(timeout=60) as client:
        who = await curator(client, stack)
        before = (
            await client.get(f"{stack.content_url}/api/v1/credits/balance", headers=who["headers"])
        ).json()["credits"]
        response = await client.post(
            f"{stack.content_url}/api/v1/datasets/{who['dataset']['slug']}/documents",
            files=[("files", ("long.pdf", pdf))],
            headers=who["headers"],
        )
        assert response.status_code == 202, response.text
        document = response.json()["documents"][0]
        deadline = time.monotonic() + 120
        while True:  # wait until the worker is part-way through embedding
            job = await _job(client, stack, who, document["job_id"])
            if job["stage"] == "embed" and 0 < job["progress"]["done"] < job["progress"]["total"]:
                break
            assert job["state"] in ("queued", "running"), job
            assert time.monotonic() < deadline, job
            await asyncio.sleep(0.1)

        went_down = time.monotonic()
        stopped = stack.postgres.stop(mode)
        # while it is away the API says so (503), it does not hang or crash
        down = await client.get(f"{stack.content_url}/health")
        assert down.status_code == 503, down.text
        # down until the worker's next checkpoint has found no server (one embedding batch)
        while not _attempt_failed(stack, document["job_id"]):
            assert time.monotonic() - went_down < 60, "the worker never noticed the outage"
            await asyncio.sleep(0.2)
        down_for = time.monotonic() - went_down
        started = stack.postgres.start()
        recovered = await _healthy(client, stack.content_url)
        await _healthy(client, stack.auth_url)

        job = await wait_job(client, stack, who, document["job_id"], timeout=120)
        print(  # noqa: T201 (the figures the issue asks to report; shown with -s)
            f"\nPostgreSQL -m {mode}: stop {stopped:.2f} s, down {down_for:.2f} s, "
            f"start {started:.2f} s, "
            f"content healthy {recovered:.2f} s after; job attempts {job['attempts']}, "
            f"chunks {expected}"
        )
        assert job["state"] == "succeeded", (job, stack.worker.log()[-3000:])
        # one attempt met the stopped server and was given up (its lease ran out, beat sent
        # the job again); a second one finished it
        assert job["attempts"] == 2, job
        assert _attempt_failed(stack, document["job_id"]) == 1
        rows = milvus_rows(stack, document["id"])
        assert len(rows) == expected
        assert sorted(r["chunk_index"] for r in rows) == list(range(expected))
        read = (
            await client.get(
                f"{stack.content_url}/api/v1/datasets/{who['dataset']['slug']}/documents/{document['id']}",
                headers=who["headers"],
            )
        ).json()
        assert read["status"] == "ready"
        assert read["chunk_count"] == expected

        # the hold was captured exactly once and the balance adds up
        assert 0 < job["credits_charged"] <= job["credits_held"], job
        after = (
            await client.get(f"{stack.content_url}/api/v1/credits/balance", headers=who["headers"])
        ).json()
        assert after["credits"] == before - job["credits_charged"]
        assert after["pools"]["reserved"] == 0, after
        entries = await _transactions(client, stack, who)
        kinds = [e["kind"] for e in entries]
        assert kinds.count("capture") == 1, entries


async def test_redis_down_fails_open_and_loses_no_upload(fault_stack: FaultStack) -> None:
    stack = fault_stack
    async with httpx.AsyncClient(timeout=30) as client:
        who = await curator(client, stack, chunk_size=48, chunk_overlap=8)
        slug = who["dataset"]["slug"]
        listing = f"{stack.content_url}/api/v1/datasets/{slug}"
        up = await client.get(listing, headers=who["headers"])
        assert up.status_code == 200, up.text
        assert up.headers["RateLimit-Limit"] == "100000"  # counted in Redis
        # a first document through the broker: the worker is connected and warm
        first = await client.post(
            f"{stack.content_url}/api/v1/datasets/{slug}/documents",
            files=[("files", ("people.csv", docs.CSV_DOC))],
            headers=who["headers"],
        )
        assert first.status_code == 202, first.text
        job = await wait_job(client, stack, who, first.json()["documents"][0]["job_id"], 90)
        assert job["state"] == "succeeded", job

        stack.redis.stop()
        for _ in range(5):  # traffic goes on, uncounted
            down = await client.get(listing, headers=who["headers"])
            assert down.status_code == 200, down.text
            assert "RateLimit-Limit" not in down.headers
        began = time.monotonic()
        response = await client.post(
            f"{stack.content_url}/api/v1/datasets/{slug}/documents",
            files=[("files", ("coffee.md", docs.MARKDOWN_DOC))],
            headers=who["headers"],
        )
        upload_seconds = time.monotonic() - began
        assert response.status_code == 202, response.text
        document = response.json()["documents"][0]
        await asyncio.sleep(2)  # the worker cannot hear of it: the job waits, queued
        job = await _job(client, stack, who, document["job_id"])
        assert job["state"] == "queued", job

        stack.redis.start()  # empty: whatever the broker held is gone
        began = time.monotonic()
        job = await wait_job(client, stack, who, document["job_id"], timeout=90)
        finished_seconds = time.monotonic() - began
        assert job["state"] == "succeeded", (job, stack.worker.log()[-3000:])
        assert job["attempts"] == 1, job
        assert len(milvus_rows(stack, document["id"])) == job["progress"]["total"] > 0
        back = await client.get(listing, headers=who["headers"])
        assert back.status_code == 200
        assert back.headers["RateLimit-Limit"] == "100000"
        print(  # noqa: T201 (the figures the issue asks to report; shown with -s)
            f"\nupload while Redis was down answered in {upload_seconds:.2f} s; its job "
            f"succeeded {finished_seconds:.2f} s after Redis came back"
        )
    content_log = stack.content.log()
    assert "rate_limit_storage_unavailable" in content_log
    assert "fail_open" in content_log
    assert "celery_send_failed" in content_log  # the send was tried, failed, and said so
    # the worker's own log lines reach its output (Celery's stdout redirection once ate them)
    assert "celery_job_done" in stack.worker.log()


async def test_content_restarted_mid_job_requeues_it_in_process_mode(
    fault_stack: FaultStack,
) -> None:
    """In-process mode (no Celery): SIGTERM to the content service mid-embedding puts its job
    back in the queue on the way out, and the restarted service finishes it at once; the lease
    (longer than the test waits) is not what brings it back."""
    stack = fault_stack
    pages = tuple(
        f"Page {n}. " + " ".join(docs.PAGE_TEXTS) + f" Closing remark number {n}."
        for n in range(1, 121)
    )
    pdf = docs.pdf_pages(pages, title="A Hundred and Twenty Pages")
    expected = len(chunk_document(parse_document(pdf, "pdf"), chunk_size=256, overlap=32))
    # its own database: the Celery worker of the other tests must not see (or run) this job
    database = await asyncio.to_thread(
        stack.postgres.database, f"fltr_inproc_{uuid.uuid4().hex[:8]}", CONTENT_MIGRATIONS
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        k: v
        for k, v in stack.worker_env.items()
        if k not in ("CELERY_BROKER_URL", "REDIS_URL", "DATABASE_URL", "JOB_LEASE_SECONDS")
    }
    env.update(
        DATABASE_URL=database,
        VAR_DIR=str(stack.tmp / "var-inproc"),
        JOB_LEASE_SECONDS=str(IN_PROCESS_LEASE_SECONDS),
        INGEST_WORKERS="1",
    )
    content = ServiceProcess(
        [console_script("fltr-content"), "serve", "--port", str(port)],
        env,
        stack.tmp / "content-inproc.log",
    )
    own = Stack(stack.auth_url, url, stack.milvus_url, env, stack.tmp)
    with content:
        wait_for_http(f"{url}/health", STARTUP_SECONDS, proc=content)
        async with httpx.AsyncClient(timeout=60) as client:
            who = await curator(client, own)
            response = await client.post(
                f"{url}/api/v1/datasets/{who['dataset']['slug']}/documents",
                files=[("files", ("long.pdf", pdf))],
                headers=who["headers"],
            )
            assert response.status_code == 202, response.text
            document = response.json()["documents"][0]
            deadline = time.monotonic() + 120
            while True:  # wait until the service is part-way through embedding
                job = await _job(client, own, who, document["job_id"])
                if (
                    job["stage"] == "embed"
                    and 0 < job["progress"]["done"] < job["progress"]["total"]
                ):
                    break
                assert job["state"] in ("queued", "running"), job
                assert time.monotonic() < deadline, job
                await asyncio.sleep(0.1)

            began = time.monotonic()
            # uvicorn shuts down gracefully, then re-raises the signal for its exit status
            code = content.stop(signal.SIGTERM, timeout=60)
            assert code in (0, -signal.SIGTERM), content.log()[-3000:]
            stopped = time.monotonic() - began
            assert "jobs_requeued_on_shutdown" in content.log()
            content.start()
            wait_for_http(f"{url}/health", STARTUP_SECONDS, proc=content)
            began = time.monotonic()
            job = await wait_job(
                client, own, who, document["job_id"], timeout=IN_PROCESS_LEASE_SECONDS / 2
            )
            finished = time.monotonic() - began
            print(  # noqa: T201 (the figures the issue asks to report; shown with -s)
                f"\ncontent SIGTERM mid-job: stopped in {stopped:.2f} s; the restarted service "
                f"finished the job {finished:.2f} s after it answered; attempts "
                f"{job['attempts']}, chunks {expected}"
            )
            assert job["state"] == "succeeded", (job, content.log()[-3000:])
            assert job["attempts"] == 2, job
            rows = milvus_rows(own, document["id"])
            assert len(rows) == expected
            assert sorted(r["chunk_index"] for r in rows) == list(range(expected))
            captures = [e for e in await _transactions(client, own, who) if e["kind"] == "capture"]
            assert len(captures) == 1, captures
            assert -captures[0]["amount"] == job["credits_charged"] > 0
