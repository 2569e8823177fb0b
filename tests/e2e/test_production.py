"""Production mode on one machine (issue 10): FLTR_ENV=production, both services on
PostgreSQL (two databases), the content service with two uvicorn worker processes, a Celery
worker and beat on Redis, originals in an S3-compatible bucket (moto's server), and a Milvus
Lite server every process reaches by MILVUS_URI.

Sign up, create a dataset, upload, search over REST and MCP with an API key, credits charged
once per request across processes, and a rate limit that holds across both content processes.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import httpx2
import pytest
import redis
from mcp.client.client import Client
from mcp.client.streamable_http import streamable_http_client

from fltr_auth.migration_spec import AUTH_MIGRATIONS
from fltr_content.migration_spec import CONTENT_MIGRATIONS
from tests.auth.helpers import PASSWORD, unique_email
from tests.content import documents as docs
from tests.milvus_server import milvus_server, wait_for_port
from tests.support import (
    ServiceProcess,
    clean_env,
    console_script,
    free_port,
    service_database,
    wait_for_http,
)

pytestmark = pytest.mark.e2e

TOKEN = "production-service-token-" + "p" * 32
SECRETS = {
    "INTERNAL_SERVICE_TOKEN": TOKEN,
    "BETTER_AUTH_SECRET": "better-auth-secret-" + "b" * 32,
    "API_KEY_HASH_SECRET": "api-key-hash-secret-" + "k" * 32,
}
INTERNAL = {"Authorization": f"Bearer {TOKEN}"}
REDIS = "redis://127.0.0.1:6379/10"
BROKER = "redis://127.0.0.1:6379/11"
ISSUER = "https://auth.fltr.test"


@dataclass
class Stack:
    auth_url: str
    content_url: str
    bucket_objects: Any


@pytest.fixture
async def databases(tmp_path: Path) -> AsyncIterator[tuple[str, str]]:
    async with (
        service_database("fltr_auth_prod", AUTH_MIGRATIONS, tmp_path) as auth_db,
        service_database("fltr_prod", CONTENT_MIGRATIONS, tmp_path) as content_db,
    ):
        yield auth_db, content_db


@pytest.fixture
def stack(databases: tuple[str, str], tmp_path: Path) -> Iterator[Stack]:
    for url in (REDIS, BROKER):
        redis.Redis.from_url(url).flushdb()
    auth_db, content_db = databases
    auth_port, content_port, s3_port = free_port(), free_port(), free_port()
    auth_url = f"http://127.0.0.1:{auth_port}"
    content_url = f"http://127.0.0.1:{content_port}"
    s3_url = f"http://127.0.0.1:{s3_port}"
    milvus, milvus_url = milvus_server(tmp_path / "milvus.db", tmp_path / "milvus.log")
    s3 = ServiceProcess(
        [console_script("moto_server"), "-H", "127.0.0.1", "-p", str(s3_port)],
        clean_env(),
        tmp_path / "s3.log",
    )
    common = {**SECRETS, "FLTR_ENV": "production", "LOG_LEVEL": "WARNING"}
    auth_env = clean_env(
        **common, DATABASE_URL=auth_db, BETTER_AUTH_URL=ISSUER, VAR_DIR=str(tmp_path / "a")
    )
    content_env = clean_env(
        **common,
        DATABASE_URL=content_db,
        VAR_DIR=str(tmp_path / "c"),
        AUTH_SERVICE_URL=auth_url,
        AUTH_JWT_ISSUER=ISSUER,
        MILVUS_URI=milvus_url,
        REDIS_URL=REDIS,
        CELERY_BROKER_URL=BROKER,
        S3_BUCKET="fltr-originals",
        S3_ENDPOINT_URL=s3_url,
        S3_REGION="us-east-1",
        S3_ACCESS_KEY_ID="test",
        S3_SECRET_ACCESS_KEY="test",
        JOB_POLL_SECONDS="1",
    )
    auth = ServiceProcess(
        [console_script("fltr-auth"), "serve", "--port", str(auth_port)],
        auth_env,
        tmp_path / "auth.log",
    )
    content = ServiceProcess(
        [console_script("fltr-content"), "serve", "--port", str(content_port), "--workers", "2"],
        content_env,
        tmp_path / "content.log",
    )
    worker = ServiceProcess(
        [console_script("fltr-content"), "worker", "--beat", "--loglevel", "WARNING"],
        content_env,
        tmp_path / "worker.log",
    )
    with milvus, s3:
        wait_for_port(milvus_url)
        wait_for_port(s3_url)
        client = boto3.client(
            "s3",
            endpoint_url=s3_url,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            region_name="us-east-1",
        )
        client.create_bucket(Bucket="fltr-originals")
        with auth, content, worker:
            wait_for_http(f"{auth_url}/health", proc=auth)
            wait_for_http(f"{content_url}/health", proc=content, timeout=60)
            yield Stack(
                auth_url,
                content_url,
                lambda: client.list_objects_v2(Bucket="fltr-originals").get("Contents", []),
            )


@asynccontextmanager
async def mcp_session(url: str, key: str) -> AsyncIterator[Client]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30)
    async with http, Client(streamable_http_client(url, http_client=http)) as client:
        yield client


async def test_production_mode_across_processes(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        signed = await client.post(
            f"{stack.auth_url}/api/auth/sign-up/email",
            json={"email": unique_email(), "password": PASSWORD, "name": "Prod Curator"},
        )
        assert signed.status_code == 200, signed.text
        client.cookies.clear()
        session = {"Authorization": f"Bearer {signed.headers['set-auth-token']}"}
        user_id = signed.json()["user"]["id"]
        granted = await client.post(
            f"{stack.auth_url}/internal/v1/credits/grant",
            json={"user_id": user_id, "amount": 500, "idempotency_key": "prod", "reason": "t"},
            headers=INTERNAL,
        )
        assert granted.status_code == 200, granted.text
        made = await client.post(
            f"{stack.content_url}/api/v1/datasets", json={"name": "Birds"}, headers=session
        )
        assert made.status_code == 201, made.text
        slug = made.json()["slug"]

        uploaded = await client.post(
            f"{stack.content_url}/api/v1/datasets/{slug}/documents",
            files=[("files", ("coffee.md", docs.MARKDOWN_DOC))],
            headers=session,
        )
        assert uploaded.status_code == 202, uploaded.text
        job_id = uploaded.json()["documents"][0]["job_id"]
        deadline = time.monotonic() + 120
        while True:
            job = (
                await client.get(f"{stack.content_url}/api/v1/jobs/{job_id}", headers=session)
            ).json()
            if job["state"] not in ("queued", "running"):
                break
            assert time.monotonic() < deadline, job
            await asyncio.sleep(0.5)
        assert job["state"] == "succeeded", job
        assert len(stack.bucket_objects()) == 1  # the original is in the bucket

        async def read_balance() -> int:
            answer = await client.get(
                f"{stack.content_url}/api/v1/credits/balance", headers=session
            )
            assert answer.status_code == 200, answer.text
            return int(answer.json()["credits"])

        async def balance() -> int:
            """Once settled: a search answered before its charge (credits.deferred) is charged
            by the process that answered it within SEARCH_CHARGE_FLUSH_SECONDS, and this
            read may be served by the other one; two reads a second apart must agree."""
            seen = await read_balance()
            for _ in range(20):
                await asyncio.sleep(1.0)
                again = await read_balance()
                if again == seen:
                    return again
                seen = again
            raise AssertionError("the balance kept moving")

        key = await client.post(
            f"{stack.auth_url}/api/v1/api-keys",
            json={"name": "agent", "scopes": ["read"]},
            headers=session,
        )
        assert key.status_code == 201, key.text
        agent = {"Authorization": f"Bearer {key.json()['key']}"}
        before = await balance()

        request_id = f"prod-{uuid.uuid4().hex}"
        for _ in range(3):  # retried requests land on either worker process
            searched = await client.post(
                f"{stack.content_url}/api/v1/datasets/{slug}/search",
                json={"query": "how long does a pour over take"},
                headers={**agent, "X-Request-ID": request_id},
            )
            assert searched.status_code == 200, searched.text
            assert searched.json()["results"]
        assert await balance() == before - 1

        async with mcp_session(f"{stack.content_url}/mcp/{slug}", key.json()["key"]) as mcp:
            result = await mcp.call_tool("search", {"query": "espresso pressure", "top_k": 3})
        assert not result.is_error, result
        assert result.structured_content is not None
        assert result.structured_content["results"]
        assert await balance() == before - 2

        # a fresh key allowed 4 calls a minute, counted in Redis: 4 succeed in all, whichever
        # of the two processes serves each call (per-process counters would let up to 8 pass)
        limited = await client.post(
            f"{stack.auth_url}/api/v1/api-keys",
            json={"name": "limited", "scopes": ["read"], "rate_limit_per_minute": 4},
            headers=session,
        )
        assert limited.status_code == 201, limited.text
        statuses = []
        for _ in range(10):
            answer = await client.post(
                f"{stack.content_url}/api/v1/datasets/{slug}/search",
                json={"query": "beans"},
                headers={
                    "Authorization": f"Bearer {limited.json()['key']}",
                    "Idempotency-Key": uuid.uuid4().hex,
                },
            )
            statuses.append(answer.status_code)
            if answer.status_code == 429:
                assert answer.headers["Retry-After"]
        assert statuses.count(200) == 4, statuses
        assert statuses.count(429) == 6, statuses
