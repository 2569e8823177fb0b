"""Ingestion across real processes: auth and content services, a Celery worker with beat on
Redis, and one Milvus Lite server that every process reaches by URI, on PostgreSQL.

- five formats uploaded over HTTP all end in Milvus with page/section metadata, and the
  dataset is ready with the right counts;
- a worker killed (SIGKILL) in the middle of a 200-page document is replaced by a new one that
  finishes it: the chunk count equals a clean run's, with no duplicates.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from fltr_auth.migration_spec import AUTH_MIGRATIONS
from fltr_content.ingest.chunking import chunk_document
from fltr_content.ingest.parsers import parse_document
from fltr_content.migration_spec import CONTENT_MIGRATIONS
from tests.auth.helpers import PASSWORD, unique_email
from tests.content import documents as docs
from tests.milvus_server import milvus_server, wait_for_port
from tests.support import (
    TEST_SERVICE_TOKEN,
    ServiceProcess,
    clean_env,
    console_script,
    free_port,
    service_database,
    wait_for_http,
)

pytestmark = pytest.mark.e2e

BROKER = "redis://127.0.0.1:6379/9"
INTERNAL = {"Authorization": f"Bearer {TEST_SERVICE_TOKEN}"}
LEASE_SECONDS = 10


@dataclass
class Stack:
    auth_url: str
    content_url: str
    milvus_url: str
    worker_env: dict[str, str]
    tmp: Path


@pytest.fixture
async def databases(tmp_path: Path) -> AsyncIterator[tuple[str, str]]:
    async with (
        service_database("fltr_auth_e2e", AUTH_MIGRATIONS, tmp_path) as auth_db,
        service_database("fltr_e2e", CONTENT_MIGRATIONS, tmp_path) as content_db,
    ):
        yield auth_db, content_db


@pytest.fixture
def stack(databases: tuple[str, str], tmp_path: Path) -> Iterator[Stack]:
    redis.Redis.from_url(BROKER).flushdb()
    auth_db, content_db = databases
    auth_port, content_port = free_port(), free_port()
    auth_url = f"http://127.0.0.1:{auth_port}"
    content_url = f"http://127.0.0.1:{content_port}"
    milvus, milvus_url = milvus_server(tmp_path / "milvus.db", tmp_path / "milvus.log")
    common = {"VAR_DIR": str(tmp_path / "var"), "INTERNAL_SERVICE_TOKEN": TEST_SERVICE_TOKEN}
    content_env = clean_env(
        **common,
        DATABASE_URL=content_db,
        AUTH_SERVICE_URL=auth_url,
        MILVUS_URI=milvus_url,
        CELERY_BROKER_URL=BROKER,
        JOB_LEASE_SECONDS=str(LEASE_SECONDS),
        JOB_POLL_SECONDS="1",
        USER_RATE_LIMIT_PER_MINUTE="100000",  # the test polls job progress often
    )
    auth = ServiceProcess(
        [console_script("fltr-auth"), "serve", "--port", str(auth_port)],
        clean_env(**common, DATABASE_URL=auth_db),
        tmp_path / "auth.log",
    )
    content = ServiceProcess(
        [console_script("fltr-content"), "serve", "--port", str(content_port)],
        content_env,
        tmp_path / "content.log",
    )
    with milvus:
        wait_for_port(milvus_url)
        with auth, content:
            wait_for_http(f"{auth_url}/health", proc=auth)
            wait_for_http(f"{content_url}/health", proc=content)
            yield Stack(auth_url, content_url, milvus_url, content_env, tmp_path)


def start_worker(stack: Stack, name: str) -> ServiceProcess:
    return ServiceProcess(
        [console_script("fltr-content"), "worker", "--beat", "--loglevel", "WARNING"],
        stack.worker_env,
        stack.tmp / f"{name}.log",
    ).start()


async def curator(client: httpx.AsyncClient, stack: Stack, **dataset: Any) -> dict[str, Any]:
    signed = await client.post(
        f"{stack.auth_url}/api/auth/sign-up/email",
        json={"email": unique_email(), "password": PASSWORD, "name": "Curator"},
    )
    assert signed.status_code == 200, signed.text
    headers = {"Authorization": f"Bearer {signed.headers['set-auth-token']}"}
    granted = await client.post(
        f"{stack.auth_url}/internal/v1/credits/grant",
        json={
            "user_id": signed.json()["user"]["id"],
            "amount": 5000,
            "idempotency_key": unique_email("grant"),
            "reason": "test",
        },
        headers=INTERNAL,
    )
    assert granted.status_code == 200, granted.text
    made = await client.post(
        f"{stack.content_url}/api/v1/datasets",
        json={"name": "E2E Notes", **dataset},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    return {"headers": headers, "dataset": made.json()}


async def wait_job(
    client: httpx.AsyncClient, stack: Stack, who: dict[str, Any], job_id: str, timeout: float
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        response = await client.get(
            f"{stack.content_url}/api/v1/jobs/{job_id}", headers=who["headers"]
        )
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if job["state"] in ("succeeded", "failed", "cancelled"):
            return job
        assert time.monotonic() < deadline, job
        await asyncio.sleep(0.3)


def milvus_rows(stack: Stack, document_id: str) -> list[dict[str, Any]]:
    from pymilvus import MilvusClient

    # dedicated: a connection of its own, closed after. pymilvus otherwise reuses one shared
    # per URI across the test process; a Milvus Lite server answers the client's 10 s keepalive
    # pings on an idle connection with GOAWAY "too many pings", and recovering that shared
    # connection can fail with the same error minutes later in another test
    client = MilvusClient(uri=stack.milvus_url, dedicated=True)
    try:
        for name in client.list_collections():
            rows = client.query(
                name,
                filter=f'document_id == "{document_id}"',
                output_fields=["chunk_index", "page", "section"],
                limit=16000,
            )
            if rows:
                return [dict(r) for r in rows]
        return []
    finally:
        client.close()


async def test_five_formats_through_celery_and_milvus_server(stack: Stack) -> None:
    worker = start_worker(stack, "worker")
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            who = await curator(client, stack, chunk_size=48, chunk_overlap=8)
            slug = who["dataset"]["slug"]
            files = [
                ("terns.pdf", docs.pdf_pages(tuple(" ".join([t] * 4) for t in docs.PAGE_TEXTS))),
                ("report.docx", docs.docx_report()),
                ("garden.html", docs.HTML_PAGE),
                ("coffee.md", docs.MARKDOWN_DOC),
                ("people.csv", docs.CSV_DOC),
            ]
            response = await client.post(
                f"{stack.content_url}/api/v1/datasets/{slug}/documents",
                files=[("files", f) for f in files],
                headers=who["headers"],
            )
            assert response.status_code == 202, response.text
            uploaded = {d["filename"]: d for d in response.json()["documents"]}
            for item in uploaded.values():
                job = await wait_job(client, stack, who, item["job_id"], timeout=180)
                assert job["state"] == "succeeded", job
            pdf_rows = milvus_rows(stack, uploaded["terns.pdf"]["id"])
            assert sorted({r["page"] for r in pdf_rows}) == [1, 2, 3]
            md_rows = milvus_rows(stack, uploaded["coffee.md"]["id"])
            assert {"Pour Over", "Espresso"} <= {r["section"] for r in md_rows}
            dataset = (
                await client.get(
                    f"{stack.content_url}/api/v1/datasets/{slug}", headers=who["headers"]
                )
            ).json()
            assert dataset["status"] == "ready"
            assert dataset["document_count"] == 5
    finally:
        worker.stop(signal.SIGTERM)


async def test_a_killed_worker_is_replaced_and_the_document_finishes_once(stack: Stack) -> None:
    pages = tuple(
        f"Page {n}. " + " ".join(docs.PAGE_TEXTS) + f" Closing remark number {n}."
        for n in range(1, 201)
    )
    pdf = docs.pdf_pages(pages, title="Two Hundred Pages")
    expected = len(chunk_document(parse_document(pdf, "pdf"), chunk_size=256, overlap=32))

    first = start_worker(stack, "worker-1")
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            who = await curator(client, stack)
            response = await client.post(
                f"{stack.content_url}/api/v1/datasets/{who['dataset']['slug']}/documents",
                files=[("files", ("long.pdf", pdf))],
                headers=who["headers"],
            )
            assert response.status_code == 202, response.text
            document = response.json()["documents"][0]
            deadline = time.monotonic() + 120
            while True:  # wait until the worker is part-way through embedding
                job = (
                    await client.get(
                        f"{stack.content_url}/api/v1/jobs/{document['job_id']}",
                        headers=who["headers"],
                    )
                ).json()
                if (
                    job["stage"] == "embed"
                    and 0 < job["progress"]["done"] < job["progress"]["total"]
                ):
                    break
                assert job["state"] in ("queued", "running"), job
                assert time.monotonic() < deadline, job
                await asyncio.sleep(0.1)
            first.stop(signal.SIGKILL)

            second = start_worker(stack, "worker-2")
            try:
                job = await wait_job(
                    client, stack, who, document["job_id"], timeout=LEASE_SECONDS + 240
                )
            finally:
                second.stop(signal.SIGTERM)
            assert job["state"] == "succeeded", job
            assert job["attempts"] == 2
            rows = milvus_rows(stack, document["id"])
            assert len(rows) == expected
            assert sorted(r["chunk_index"] for r in rows) == list(range(expected))
            read = (
                await client.get(
                    f"{stack.content_url}/api/v1/datasets/{who['dataset']['slug']}/documents/{document['id']}",
                    headers=who["headers"],
                )
            ).json()
            assert read["chunk_count"] == expected
            assert read["page_count"] == 200
    finally:
        first.stop(signal.SIGKILL)
