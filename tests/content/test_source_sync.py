"""Scheduled sync of url sources: fetched when due, re-indexed only when the bytes changed."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from fltr_content.processing.source_sync import sync_due_sources
from fltr_shared.db import utcnow
from tests.content.ingest_support import funded_curator, wait_for_job
from tests.support import serve_in_loop


async def test_url_source_is_reindexed_only_when_it_changes(
    committed_auth: httpx.AsyncClient, ingest_client: httpx.AsyncClient, ingest_app: FastAPI
) -> None:
    page = {"body": b"# Tides\n\nSpring tides follow the new and full moon."}

    async def serve(_: object) -> Response:
        return Response(page["body"], media_type="text/markdown")

    site = Starlette(routes=[Route("/tides.md", serve)])
    curator = await funded_curator(committed_auth, ingest_client)
    ctx = ingest_app.state.job_context
    runner = ingest_app.state.jobs
    async with serve_in_loop(site) as url:
        made = await ingest_client.post(
            f"/api/v1/datasets/{curator.slug}/sources",
            json={
                "type": "url",
                "name": "Tides",
                "url": f"{url}/tides.md",
                "sync_frequency": "daily",
            },
            headers=curator.headers,
        )
        assert made.status_code == 201, made.text
        documents_path = f"/api/v1/datasets/{curator.slug}/documents"

        first = await sync_due_sources(ctx)
        assert len(first) == 1
        runner.submit(first[0])
        assert (await wait_for_job(ingest_client, curator, first[0]))["state"] == "succeeded"
        docs = (await ingest_client.get(documents_path, headers=curator.headers)).json()["items"]
        assert len(docs) == 1
        original = docs[0]["id"]

        # not due again until a day has passed; unchanged bytes are not re-processed
        assert await sync_due_sources(ctx) == []
        assert await sync_due_sources(ctx, utcnow() + timedelta(days=2)) == []

        page["body"] = b"# Tides\n\nNeap tides happen at the quarter moons."
        changed = await sync_due_sources(ctx, utcnow() + timedelta(days=4))
        assert len(changed) == 1
        runner.submit(changed[0])
        assert (await wait_for_job(ingest_client, curator, changed[0]))["state"] == "succeeded"
        docs = (await ingest_client.get(documents_path, headers=curator.headers)).json()["items"]
        assert [d["id"] for d in docs] != [original]
        assert len(docs) == 1
        source = (
            await ingest_client.get(
                f"/api/v1/datasets/{curator.slug}/sources/{made.json()['id']}",
                headers=curator.headers,
            )
        ).json()
        assert source["last_synced_at"] is not None
