"""Upload limits are enforced while the body streams, jobs can be followed and cancelled, and
documents can come from a URL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.content import documents as docs
from tests.content.ingest_support import funded_curator, upload, wait_for_job
from tests.support import serve_in_loop

BOUNDARY = "fltr-test-boundary"


def _part_header(name: str) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; '
        f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()


async def test_an_oversized_file_is_refused_before_it_is_read(
    committed_auth: httpx.AsyncClient, ingest_client: httpx.AsyncClient, ingest_app: FastAPI
) -> None:
    curator = await funded_curator(committed_auth, ingest_client)
    limit = ingest_app.state.settings.max_upload_file_bytes
    piece = b"a" * 65536
    total_pieces = (limit * 5) // len(piece)  # five times the limit
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield _part_header("huge.txt")
        for _ in range(total_pieces):
            sent += len(piece)
            yield piece
        yield f"\r\n--{BOUNDARY}--\r\n".encode()

    response = await ingest_client.post(
        f"/api/v1/datasets/{curator.slug}/documents",
        content=body(),
        headers={**curator.headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"] == "file_too_large"
    assert sent < limit * 2  # stopped soon after the limit, not after five times it
    listed = await ingest_client.get(
        f"/api/v1/datasets/{curator.slug}/documents", headers=curator.headers
    )
    assert listed.json()["total"] == 0


async def test_declared_length_beyond_every_limit_is_refused_at_once(
    committed_auth: httpx.AsyncClient, ingest_client: httpx.AsyncClient
) -> None:
    curator = await funded_curator(committed_auth, ingest_client)
    response = await ingest_client.post(
        f"/api/v1/datasets/{curator.slug}/documents",
        content=b"x",
        headers={
            **curator.headers,
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Content-Length": str(10**12),
        },
    )
    assert response.status_code == 413
    assert response.json()["error"] == "upload_too_large"


async def test_too_many_files_and_malformed_bodies(
    committed_auth: httpx.AsyncClient, ingest_client: httpx.AsyncClient, ingest_app: FastAPI
) -> None:
    curator = await funded_curator(committed_auth, ingest_client)
    count = ingest_app.state.settings.max_upload_files + 1
    files = [("files", (f"n{i}.txt", f"note number {i} about tea".encode())) for i in range(count)]
    too_many = await ingest_client.post(
        f"/api/v1/datasets/{curator.slug}/documents", files=files, headers=curator.headers
    )
    assert too_many.status_code == 413
    assert too_many.json()["error"] == "too_many_files"

    not_multipart = await ingest_client.post(
        f"/api/v1/datasets/{curator.slug}/documents", json={"files": []}, headers=curator.headers
    )
    assert not_multipart.status_code == 400
    assert not_multipart.json()["error"] == "invalid_upload"

    no_files = await ingest_client.post(
        f"/api/v1/datasets/{curator.slug}/documents",
        data={"other": "x"},
        files=[("attachment", ("a.txt", b"hello there"))],
        headers=curator.headers,
    )
    assert no_files.status_code == 400
    assert no_files.json()["error"] == "no_files"


async def test_job_events_stream_progress_until_the_end(
    committed_auth: httpx.AsyncClient, ingest_client: httpx.AsyncClient
) -> None:
    curator = await funded_curator(committed_auth, ingest_client)
    document = (await upload(ingest_client, curator, [("coffee.md", docs.MARKDOWN_DOC)]))[
        "documents"
    ][0]
    events: list[tuple[str, dict[str, object]]] = []
    async with ingest_client.stream(
        "GET", f"/api/v1/jobs/{document['job_id']}/events", headers=curator.headers
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        event = None
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event is not None:
                events.append((event, json.loads(line.split(":", 1)[1])))
                if event == "end":
                    break
    assert events[-1] == ("end", {"state": "succeeded"})
    progress = [data for name, data in events if name == "progress"]
    assert progress[-1]["state"] == "succeeded"
    stranger = await funded_curator(committed_auth, ingest_client)
    hidden = await ingest_client.get(
        f"/api/v1/jobs/{document['job_id']}/events", headers=stranger.headers
    )
    assert hidden.status_code == 404


async def test_cancel_a_queued_job_releases_its_hold(
    committed_auth: httpx.AsyncClient, ingest_client: httpx.AsyncClient, ingest_app: FastAPI
) -> None:
    from tests.auth.credit_helpers import pools

    curator = await funded_curator(committed_auth, ingest_client)
    runner = ingest_app.state.jobs
    await runner.stop()  # nothing runs: the job stays queued until it is cancelled
    try:
        document = (await upload(ingest_client, curator, [("note.txt", docs.PLAIN_TEXT)]))[
            "documents"
        ][0]
        cancelled = await ingest_client.post(
            f"/api/v1/jobs/{document['job_id']}/cancel", headers=curator.headers
        )
        assert cancelled.status_code == 200
        assert cancelled.json()["state"] == "cancelled"
    finally:
        await runner.start()
    job = await wait_for_job(ingest_client, curator, document["job_id"])
    assert job["state"] == "cancelled"
    balance = await pools(committed_auth, curator.account.user["id"])
    assert balance["pools"]["reserved"] == 0


async def test_documents_from_a_url(
    committed_auth: httpx.AsyncClient, ingest_client: httpx.AsyncClient
) -> None:
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    async def page(_: object) -> Response:
        return Response(docs.HTML_PAGE, media_type="text/html")

    site = Starlette(routes=[Route("/guide.html", page)])
    curator = await funded_curator(committed_auth, ingest_client)
    async with serve_in_loop(site) as url:
        response = await ingest_client.post(
            f"/api/v1/datasets/{curator.slug}/documents:from-url",
            json={"url": f"{url}/guide.html"},
            headers=curator.headers,
        )
        assert response.status_code == 202, response.text
        document = response.json()["documents"][0]
        assert document["content_type"] == "html"
        job = await wait_for_job(ingest_client, curator, document["job_id"])
        assert job["state"] == "succeeded"
        bad = await ingest_client.post(
            f"/api/v1/datasets/{curator.slug}/documents:from-url",
            json={"url": "ftp://example.com/x"},
            headers=curator.headers,
        )
        assert bad.status_code == 422


@pytest.mark.core
async def test_private_addresses_are_refused_by_default(tmp_path: Path) -> None:
    from fltr_content.documents.remote import UrlRefused, fetch_to_file

    for url in ("http://127.0.0.1:9/x", "http://169.254.169.254/latest", "http://localhost/"):
        with pytest.raises(UrlRefused):
            await fetch_to_file(url, tmp_path, max_bytes=10, allow_private=False)
