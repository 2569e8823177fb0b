"""A content app for ingestion tests: its own database and Milvus file, real commits (jobs run
in background workers, which a rolled-back test transaction on one connection cannot host),
the auth service over real HTTP, and helpers to sign up a funded curator."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from tests.auth.credit_helpers import grant
from tests.auth.helpers import SignedUp, sign_up

JOB_TIMEOUT_SECONDS = 120


@dataclass
class Curator:
    account: SignedUp
    dataset: dict[str, Any]

    @property
    def headers(self) -> dict[str, str]:
        return self.account.bearer

    @property
    def slug(self) -> str:
        return str(self.dataset["slug"])


async def funded_curator(
    auth: httpx.AsyncClient, content: httpx.AsyncClient, credits: int = 1000, **dataset: Any
) -> Curator:
    account = await sign_up(auth, name="Curator")
    if credits:
        await grant(auth, account.user["id"], credits)
    response = await content.post(
        "/api/v1/datasets",
        json={"name": dataset.pop("name", "Field Notes"), **dataset},
        headers=account.bearer,
    )
    assert response.status_code == 201, response.text
    return Curator(account, response.json())


async def upload(
    content: httpx.AsyncClient,
    curator: Curator,
    files: list[tuple[str, bytes]],
    expect: int = 202,
) -> dict[str, Any]:
    response = await content.post(
        f"/api/v1/datasets/{curator.slug}/documents",
        files=[("files", (name, data)) for name, data in files],
        headers=curator.headers,
    )
    assert response.status_code == expect, response.text
    body: dict[str, Any] = response.json()
    return body


async def wait_for_job(
    content: httpx.AsyncClient, curator: Curator, job_id: str, timeout: float = JOB_TIMEOUT_SECONDS
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        response = await content.get(f"/api/v1/jobs/{job_id}", headers=curator.headers)
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if job["state"] in ("succeeded", "failed", "cancelled"):
            return job
        assert loop.time() < deadline, f"job {job_id} still {job['state']}: {job}"
        await asyncio.sleep(0.2)
