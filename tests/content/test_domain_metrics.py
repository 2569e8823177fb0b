"""Domain metrics move when the work happens: jobs, ledger operations, Milvus calls.

Scraped from ``/metrics`` of the apps (the domain registry is process-wide, rendered after each
app's HTTP metrics), before and after the work, so other tests' counts do not matter.
"""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.auth.credit_helpers import grant, new_key, post
from tests.auth.helpers import sign_up
from tests.content import documents as docs
from tests.content.ingest_support import funded_curator, upload, wait_for_job


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_an_upload_moves_job_ledger_and_milvus_metrics(
    committed_auth: httpx.AsyncClient, ingest_client: httpx.AsyncClient
) -> None:
    before = await scrape(ingest_client)
    curator = await funded_curator(committed_auth, ingest_client)
    body = await upload(ingest_client, curator, [("coffee.md", docs.MARKDOWN_DOC)])
    job = await wait_for_job(ingest_client, curator, body["documents"][0]["job_id"])
    assert job["state"] == "succeeded", job
    after = await scrape(ingest_client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("fltr_jobs_total", kind="ingest", state="succeeded") >= 1
    assert moved("fltr_job_duration_seconds_count", kind="ingest") >= 1
    assert moved("fltr_milvus_seconds_count", operation="upsert") >= 1
    assert moved("fltr_ledger_operations_total", operation="grant", outcome="ok") >= 1
    assert moved("fltr_ledger_operations_total", operation="hold", outcome="ok") >= 1
    assert moved("fltr_ledger_operations_total", operation="capture", outcome="ok") >= 1


async def test_ledger_refusals_and_replays_are_counted_by_outcome(
    committed_auth: httpx.AsyncClient,
) -> None:
    auth = committed_auth
    before = await scrape(auth)
    account = await sign_up(auth, name="Spender")
    user_id = account.user["id"]
    key = new_key()
    body = {"user_id": user_id, "amount": 5, "idempotency_key": key, "reason": "test"}
    await post(auth, "/grant", body, 200)
    replay = await post(auth, "/grant", body, 200)
    assert replay.headers.get("Idempotent-Replayed") == "true"
    refused = await post(
        auth,
        "/deduct",
        {"user_id": user_id, "amount": 50, "idempotency_key": new_key(), "operation": "search"},
        402,
    )
    assert refused.json()["error"] == "insufficient_credits"
    await grant(auth, user_id, 1)
    await auth.get(
        "/internal/v1/credits/balance",
        params={"user_id": user_id},
        headers={"Authorization": replay.request.headers["Authorization"]},
    )
    after = await scrape(auth)

    def moved(operation: str, outcome: str) -> float:
        labels = {"operation": operation, "outcome": outcome}
        return value(after, "fltr_ledger_operations_total", **labels) - value(
            before, "fltr_ledger_operations_total", **labels
        )

    assert moved("grant", "ok") == 2
    assert moved("grant", "replayed") == 1
    assert moved("deduct", "insufficient_credits") == 1
    # reads are not ledger operations
    assert not any(
        name == "fltr_ledger_operations_total" and ("operation", "balance") in labels
        for name, labels in after
    )
