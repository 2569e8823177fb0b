"""Uploads end to end inside one content app: every format becomes chunks in Milvus Lite with
page/section metadata, jobs report progress, the dataset's status and counts follow, credits
are held then captured, duplicates are recognized, and bad files are refused with nothing kept."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from fltr_content.vectors.chunks import ChunkStore, quote
from tests.auth.credit_helpers import pools
from tests.content import documents as docs
from tests.content.ingest_support import funded_curator, upload, wait_for_job

# each page longer than a 48-token chunk, so every page starts chunks of its own
LONG_PAGES = tuple(" ".join([text] * 4) for text in docs.PAGE_TEXTS)


async def _collection(ingest_client: httpx.AsyncClient, app: FastAPI, dataset_id: str) -> str:
    from fltr_content.datasets.models import Dataset
    from fltr_content.versions import service as versions

    async with app.state.db.transaction() as session:
        dataset = await session.get(Dataset, dataset_id)
        assert dataset is not None
        return (await versions.working_copy(session, dataset)).collection_name


async def _chunks_of(app: FastAPI, collection: str, document_id: str) -> list[dict[str, Any]]:
    store: ChunkStore = app.state.chunks
    return await store.query(collection, f"document_id == {quote(document_id)}", limit=1000)


async def test_every_format_becomes_chunks_with_metadata(
    committed_auth: httpx.AsyncClient, ingest_client: httpx.AsyncClient, ingest_app: FastAPI
) -> None:
    # small chunks, so each section and page starts chunks of its own
    curator = await funded_curator(committed_auth, ingest_client, chunk_size=48, chunk_overlap=8)
    files = [
        ("terns.pdf", docs.pdf_pages(LONG_PAGES)),
        ("report.docx", docs.docx_report()),
        ("garden.html", docs.HTML_PAGE),
        ("coffee.md", docs.MARKDOWN_DOC),
        ("people.csv", docs.CSV_DOC),
    ]
    body = await upload(ingest_client, curator, files)
    uploaded = {d["filename"]: d for d in body["documents"]}
    assert {d["content_type"] for d in uploaded.values()} == {
        "pdf",
        "docx",
        "html",
        "markdown",
        "csv",
    }
    for item in uploaded.values():
        job = await wait_for_job(ingest_client, curator, item["job_id"])
        assert job["state"] == "succeeded", job
        assert job["progress"]["done"] == job["progress"]["total"] > 0
        assert job["credits_charged"] >= 1

    collection = await _collection(ingest_client, ingest_app, curator.dataset["id"])
    pdf_chunks = await _chunks_of(ingest_app, collection, uploaded["terns.pdf"]["id"])
    assert sorted({c["page"] for c in pdf_chunks}) == [1, 2, 3]
    md_chunks = await _chunks_of(ingest_app, collection, uploaded["coffee.md"]["id"])
    assert {"Pour Over", "Espresso"} <= {c["section"] for c in md_chunks}
    html_chunks = await _chunks_of(ingest_app, collection, uploaded["garden.html"]["id"])
    assert "do not index" not in " ".join(c["text"] for c in html_chunks)
    for chunk in pdf_chunks + md_chunks:
        assert chunk["end_offset"] > chunk["start_offset"] >= 0
        assert len(chunk["content_hash"]) == 64

    dataset = (
        await ingest_client.get(f"/api/v1/datasets/{curator.slug}", headers=curator.headers)
    ).json()
    assert dataset["status"] == "ready"
    assert dataset["document_count"] == 5
    listed = await ingest_client.get(
        f"/api/v1/datasets/{curator.slug}/documents", headers=curator.headers
    )
    assert listed.json()["total"] == 5
    assert {d["status"] for d in listed.json()["items"]} == {"ready"}
    pdf_doc = (
        await ingest_client.get(
            f"/api/v1/datasets/{curator.slug}/documents/{uploaded['terns.pdf']['id']}",
            headers=curator.headers,
        )
    ).json()
    assert pdf_doc["page_count"] == 3
    assert pdf_doc["title"] == docs.PDF_TITLE
    assert pdf_doc["chunk_count"] == len(pdf_chunks)


async def test_reupload_is_recognized_and_delete_removes_chunks(
    committed_auth: httpx.AsyncClient, ingest_client: httpx.AsyncClient, ingest_app: FastAPI
) -> None:
    curator = await funded_curator(committed_auth, ingest_client)
    first = (await upload(ingest_client, curator, [("note.txt", docs.PLAIN_TEXT)]))["documents"][0]
    await wait_for_job(ingest_client, curator, first["job_id"])
    balance = (await pools(committed_auth, curator.account.user["id"]))["credits"]

    again = (await upload(ingest_client, curator, [("copy.txt", docs.PLAIN_TEXT)]))["documents"]
    assert again[0]["duplicate"] is True
    assert again[0]["id"] == first["id"]
    assert again[0]["job_id"] is None
    assert (await pools(committed_auth, curator.account.user["id"]))["credits"] == balance

    collection = await _collection(ingest_client, ingest_app, curator.dataset["id"])
    assert await _chunks_of(ingest_app, collection, first["id"])
    gone = await ingest_client.delete(
        f"/api/v1/datasets/{curator.slug}/documents/{first['id']}", headers=curator.headers
    )
    assert gone.status_code == 204
    assert await _chunks_of(ingest_app, collection, first["id"]) == []
    dataset = (
        await ingest_client.get(f"/api/v1/datasets/{curator.slug}", headers=curator.headers)
    ).json()
    assert dataset["document_count"] == 0
    assert dataset["status"] == "uploading"


@pytest.mark.parametrize(
    ("name", "data", "status", "code"),
    [
        ("empty.txt", b"", 422, "empty_file"),
        ("empty.pdf", b"", 422, "empty_file"),
        ("tool.pdf", docs.ELF_HEADER, 415, "unsupported_type"),
        ("latin1.txt", docs.INVALID_UTF8, 422, "invalid_encoding"),
    ],
)
async def test_unusable_files_are_refused_whole(
    committed_auth: httpx.AsyncClient,
    ingest_client: httpx.AsyncClient,
    name: str,
    data: bytes,
    status: int,
    code: str,
) -> None:
    curator = await funded_curator(committed_auth, ingest_client)
    before = (await pools(committed_auth, curator.account.user["id"]))["credits"]
    response = await ingest_client.post(
        f"/api/v1/datasets/{curator.slug}/documents",
        files=[("files", ("good.md", docs.MARKDOWN_DOC)), ("files", (name, data))],
        headers=curator.headers,
    )
    assert response.status_code == status, response.text
    assert response.json()["error"] == code
    assert response.json()["filename"] == name
    listed = await ingest_client.get(
        f"/api/v1/datasets/{curator.slug}/documents", headers=curator.headers
    )
    assert listed.json()["total"] == 0
    assert (await pools(committed_auth, curator.account.user["id"]))["credits"] == before


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("locked.pdf", docs.encrypted_pdf(), "encrypted_pdf"),
        ("scan.pdf", docs.pdf_without_text(), "no_text"),
        ("broken.pdf", docs.pdf_pages()[:400], "corrupt_file"),
        ("bomb.docx", docs.docx_zip_bomb(), "archive_too_large"),
    ],
)
async def test_documents_that_fail_in_processing_leave_the_dataset_usable(
    committed_auth: httpx.AsyncClient,
    ingest_client: httpx.AsyncClient,
    name: str,
    data: bytes,
    code: str,
) -> None:
    curator = await funded_curator(committed_auth, ingest_client)
    body = await upload(ingest_client, curator, [("good.md", docs.MARKDOWN_DOC), (name, data)])
    by_name = {d["filename"]: d for d in body["documents"]}
    bad = await wait_for_job(ingest_client, curator, by_name[name]["job_id"])
    good = await wait_for_job(ingest_client, curator, by_name["good.md"]["job_id"])
    assert bad["state"] == "failed"
    assert bad["error"]["code"] == code, bad
    assert good["state"] == "succeeded"
    dataset = (
        await ingest_client.get(f"/api/v1/datasets/{curator.slug}", headers=curator.headers)
    ).json()
    assert dataset["status"] == "ready"
    assert dataset["document_count"] == 1
    balance = await pools(committed_auth, curator.account.user["id"])
    assert balance["pools"]["reserved"] == 0  # the failed document's hold went back


async def test_too_few_credits_is_402_and_nothing_is_kept(
    committed_auth: httpx.AsyncClient, ingest_client: httpx.AsyncClient
) -> None:
    curator = await funded_curator(committed_auth, ingest_client, credits=0)
    response = await ingest_client.post(
        f"/api/v1/datasets/{curator.slug}/documents",
        files=[("files", ("coffee.md", docs.MARKDOWN_DOC))],
        headers=curator.headers,
    )
    assert response.status_code == 402, response.text
    assert response.json()["error"] == "insufficient_credits"
    listed = await ingest_client.get(
        f"/api/v1/datasets/{curator.slug}/documents", headers=curator.headers
    )
    assert listed.json()["total"] == 0


async def test_someone_elses_dataset_is_404_and_hostile_names_are_sanitized(
    committed_auth: httpx.AsyncClient, ingest_client: httpx.AsyncClient, ingest_app: FastAPI
) -> None:
    owner = await funded_curator(committed_auth, ingest_client, visibility="private")
    stranger = await funded_curator(committed_auth, ingest_client)
    response = await ingest_client.post(
        f"/api/v1/datasets/{owner.slug}/documents",
        files=[("files", ("x.md", docs.MARKDOWN_DOC))],
        headers=stranger.headers,
    )
    assert response.status_code == 404

    body = await upload(ingest_client, stranger, [("../../etc/passwd", docs.PLAIN_TEXT)])
    document = body["documents"][0]
    assert document["filename"] == "passwd"
    await wait_for_job(ingest_client, stranger, document["job_id"])
    storage_root = ingest_app.state.settings.storage_dir.resolve()
    stored = [p for p in storage_root.rglob("*") if p.is_file()]
    assert stored
    assert all(p.resolve().is_relative_to(storage_root) for p in stored)
    assert not any(p.name == "passwd" for p in stored)


async def test_a_model_change_is_refused_until_the_dataset_is_reembedded(
    committed_auth: httpx.AsyncClient, ingest_client: httpx.AsyncClient, ingest_app: FastAPI
) -> None:
    from fltr_content.datasets.models import Dataset

    curator = await funded_curator(committed_auth, ingest_client)
    first = (await upload(ingest_client, curator, [("a.md", docs.MARKDOWN_DOC)]))["documents"][0]
    await wait_for_job(ingest_client, curator, first["job_id"])
    async with ingest_app.state.db.transaction() as session:  # as if embedded by another model
        dataset = await session.get(Dataset, curator.dataset["id"])
        assert dataset is not None
        dataset.embedding_model = "an-older-model"
    second = (await upload(ingest_client, curator, [("b.txt", docs.PLAIN_TEXT)]))["documents"][0]
    refused = await wait_for_job(ingest_client, curator, second["job_id"])
    assert refused["state"] == "failed"
    assert refused["error"]["code"] == "embedding_model_mismatch"

    response = await ingest_client.post(
        f"/api/v1/datasets/{curator.slug}/reembed", headers=curator.headers
    )
    assert response.status_code == 202, response.text
    assert response.json()["embedding_model"] == ingest_app.state.embedder.name
    for job_id in response.json()["job_ids"]:
        assert (await wait_for_job(ingest_client, curator, job_id))["state"] == "succeeded"
    collection = await _collection(ingest_client, ingest_app, curator.dataset["id"])
    assert await _chunks_of(ingest_app, collection, first["id"])
    dataset_out = (
        await ingest_client.get(f"/api/v1/datasets/{curator.slug}", headers=curator.headers)
    ).json()
    assert dataset_out["embedding_model"] == ingest_app.state.embedder.name
    assert dataset_out["document_count"] == 2


async def test_a_publish_job_freezes_what_was_indexed(
    committed_auth: httpx.AsyncClient, ingest_client: httpx.AsyncClient
) -> None:
    """Above PUBLISH_INLINE_MAX_CHUNKS (0 in this app) publishing is a job the runner takes;
    a search pinned to the version keeps its answers after the working copy changes."""
    curator = await funded_curator(committed_auth, ingest_client)
    first = (await upload(ingest_client, curator, [("a.md", docs.MARKDOWN_DOC)]))["documents"][0]
    await wait_for_job(ingest_client, curator, first["job_id"])
    published = await ingest_client.post(
        f"/api/v1/datasets/{curator.slug}/versions",
        json={"version": "1.0.0", "changelog": "first"},
        headers=curator.headers,
    )
    assert published.status_code == 202, published.text
    job = await wait_for_job(ingest_client, curator, published.json()["job_id"])
    assert job["state"] == "succeeded", job
    version = (
        await ingest_client.get(
            f"/api/v1/datasets/{curator.slug}/versions/1.0.0", headers=curator.headers
        )
    ).json()
    assert version["status"] == "published"
    assert version["chunk_count"] > 0

    gone = await ingest_client.delete(
        f"/api/v1/datasets/{curator.slug}/documents/{first['id']}", headers=curator.headers
    )
    assert gone.status_code == 204
    pinned = await ingest_client.post(
        f"/api/v1/datasets/{curator.slug}@1.0.0/search",
        json={"query": "espresso pressure", "mode": "keyword"},
        headers=curator.headers,
    )
    assert pinned.status_code == 200, pinned.text
    assert pinned.json()["results"]
    latest = await ingest_client.post(
        f"/api/v1/datasets/{curator.slug}@draft/search",
        json={"query": "espresso pressure", "mode": "keyword"},
        headers=curator.headers,
    )
    assert latest.json()["results"] == []
