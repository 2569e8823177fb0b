"""``/api/v1/datasets/{slug}/versions`` over HTTP with real credentials and real Milvus Lite:
publishing freezes the working copy into its own collection (pinned readers keep their
answers after new uploads), the active version, the background path for big working copies,
and the bad inputs (duplicate or malformed version, non-editors) changing nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from fltr_content.jobs.models import ProcessingJob
from fltr_content.vectors.chunks import ChunkStore
from fltr_content.versions import service as versions
from fltr_content.versions.models import VersionDocument
from fltr_content.versions.publishing import run_publish_job
from tests.auth.helpers import SignedUp, sign_up
from tests.content.catalog_support import DIM, dataset_row, upload_chunks
from tests.content.test_datasets import DATASETS, create

pytestmark = pytest.mark.core


def versions_path(dataset: dict[str, Any]) -> str:
    return f"{DATASETS}/{dataset['slug']}/versions"


async def publish(
    client: httpx.AsyncClient, who: SignedUp, dataset: dict[str, Any], label: str, **body: Any
) -> httpx.Response:
    return await client.post(
        versions_path(dataset), json={"version": label, **body}, headers=who.bearer
    )


async def test_publish_freezes_the_working_copy(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, content_app: FastAPI
) -> None:
    owner = await sign_up(auth_client)
    dataset = await create(content_client, owner, "Frozen Facts", embedding_dimension=DIM)
    await upload_chunks(content_app, dataset["id"], ["alpha", "beta", "gamma"])

    first = await publish(content_client, owner, dataset, "1.0.0", changelog="First cut")
    assert first.status_code == 201, first.text
    v1 = first.json()
    assert (v1["version"], v1["status"], v1["changelog"]) == ("1.0.0", "published", "First cut")
    assert (v1["chunk_count"], v1["document_count"], v1["is_active"]) == (3, 1, True)
    assert v1["published_at"] is not None

    # a new upload lands in the working copy only; 1.0.0 keeps its three chunks
    await upload_chunks(content_app, dataset["id"], ["delta", "epsilon"])
    chunks: ChunkStore = content_app.state.chunks
    row = await dataset_row(content_app, dataset["id"])
    async with content_app.state.db.transaction() as session:
        pinned = await versions.for_read(session, row, "1.0.0")
        unpinned = await versions.for_read(session, row, None)
        draft = await versions.for_read(session, row, "draft")
        frozen_docs = await session.scalar(
            select(func.count())
            .select_from(VersionDocument)
            .where(VersionDocument.version_id == v1["id"])
        )
    assert pinned.id == unpinned.id == v1["id"]
    assert await chunks.count(pinned.collection_name) == 3
    assert await chunks.count(draft.collection_name) == 5
    assert frozen_docs == 1
    texts = {r["text"] for r in await chunks.query(pinned.collection_name, "", limit=10)}
    assert texts == {"alpha", "beta", "gamma"}

    second = await publish(content_client, owner, dataset, "1.1.0")
    assert second.status_code == 201, second.text
    assert (second.json()["chunk_count"], second.json()["document_count"]) == (5, 2)
    assert await chunks.count(pinned.collection_name) == 3  # still frozen

    listed = await content_client.get(versions_path(dataset))
    assert listed.status_code == 200
    body = listed.json()
    assert [v["version"] for v in body["items"]] == ["1.1.0", "1.0.0"]
    assert body["total"] == 2
    assert [v["is_active"] for v in body["items"]] == [True, False]
    one = await content_client.get(f"{versions_path(dataset)}/1.0.0")
    assert one.status_code == 200
    assert one.json()["id"] == v1["id"]
    assert (await content_client.get(f"{versions_path(dataset)}/draft")).json()["status"] == "draft"
    missing = await content_client.get(f"{versions_path(dataset)}/9.9.9")
    assert missing.status_code == 404
    assert missing.json()["error"] == "version_not_found"


async def test_active_version_is_chosen_by_editors(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, content_app: FastAPI
) -> None:
    owner = await sign_up(auth_client)
    stranger = await sign_up(auth_client)
    dataset = await create(content_client, owner, "Switchable", embedding_dimension=DIM)
    await upload_chunks(content_app, dataset["id"], ["one"])
    v1 = (await publish(content_client, owner, dataset, "1.0.0")).json()
    await publish(content_client, owner, dataset, "2.0.0")
    active = f"{versions_path(dataset)}/active"

    back = await content_client.patch(active, json={"version": "1.0.0"}, headers=owner.bearer)
    assert back.status_code == 200, back.text
    assert back.json()["is_active"] is True
    row = await dataset_row(content_app, dataset["id"])
    assert row.active_version_id == v1["id"]
    read = await content_client.get(f"{DATASETS}/{dataset['slug']}")
    assert read.json()["active_version_id"] == v1["id"]

    refused = await content_client.patch(active, json={"version": "2.0.0"}, headers=stranger.bearer)
    assert refused.status_code == 403
    unknown = await content_client.patch(active, json={"version": "3.0.0"}, headers=owner.bearer)
    assert unknown.status_code == 404
    assert (await dataset_row(content_app, dataset["id"])).active_version_id == v1["id"]

    draft = await content_client.patch(active, json={"version": None}, headers=owner.bearer)
    assert draft.status_code == 200
    assert draft.json()["version"] == "draft"
    row = await dataset_row(content_app, dataset["id"])
    assert row.active_version_id is None
    async with content_app.state.db.transaction() as session:
        assert (await versions.for_read(session, row, None)).status == "draft"


async def test_publishing_with_nothing_uploaded_makes_an_empty_version(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, content_app: FastAPI
) -> None:
    owner = await sign_up(auth_client)
    dataset = await create(content_client, owner, "Empty Shelf")
    published = await publish(content_client, owner, dataset, "0.1.0")
    assert published.status_code == 201, published.text
    assert (published.json()["chunk_count"], published.json()["document_count"]) == (0, 0)
    row = await dataset_row(content_app, dataset["id"])
    async with content_app.state.db.transaction() as session:
        version = await versions.for_read(session, row, "0.1.0")
    assert await content_app.state.chunks.exists(version.collection_name)


async def test_big_working_copies_publish_in_the_background(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, content_app: FastAPI
) -> None:
    owner = await sign_up(auth_client)
    dataset = await create(content_client, owner, "Big One", embedding_dimension=DIM)
    await upload_chunks(content_app, dataset["id"], ["a", "b", "c"])
    settings = content_app.state.settings
    before = settings.publish_inline_max_chunks
    settings.publish_inline_max_chunks = 2
    try:
        accepted = await publish(content_client, owner, dataset, "1.0.0")
    finally:
        settings.publish_inline_max_chunks = before
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert body["status"] == "publishing"
    assert body["job_id"]
    async with content_app.state.db.transaction() as session:
        job = await session.get(ProcessingJob, body["job_id"])
        assert job is not None
        assert (job.kind, job.version_id) == ("publish", body["id"])

    # what the job runner calls (it may have run it already: running it again is harmless)
    await run_publish_job(content_app.state.job_context, body["job_id"])
    done = (await content_client.get(f"{versions_path(dataset)}/1.0.0")).json()
    assert (done["status"], done["chunk_count"], done["is_active"]) == ("published", 3, True)
    async with content_app.state.db.transaction() as session:
        job = await session.get(ProcessingJob, body["job_id"])
        assert job is not None
        assert job.state == "succeeded"


@pytest.mark.parametrize(
    ("label", "status", "code"),
    [
        ("1.0", 422, "validation_error"),
        ("v1.0.0", 422, "validation_error"),
        ("01.0.0", 422, "validation_error"),
        ("draft", 422, "validation_error"),
        ("1.0.0", 409, "version_exists"),
    ],
)
async def test_bad_versions_change_nothing(
    auth_client: httpx.AsyncClient,
    content_client: httpx.AsyncClient,
    label: str,
    status: int,
    code: str,
) -> None:
    owner = await sign_up(auth_client)
    dataset = await create(content_client, owner, "Labelled")
    assert (await publish(content_client, owner, dataset, "1.0.0")).status_code == 201
    refused = await publish(content_client, owner, dataset, label)
    assert refused.status_code == status, refused.text
    assert refused.json()["error"] == code
    assert (await content_client.get(versions_path(dataset))).json()["total"] == 1


async def test_only_editors_publish_and_private_versions_are_hidden(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client)
    stranger = await sign_up(auth_client)
    public = await create(content_client, owner, "Open Versions")
    private = await create(content_client, owner, "Closed Versions", visibility="private")

    anonymous = await content_client.post(versions_path(public), json={"version": "1.0.0"})
    assert anonymous.status_code == 401
    assert (await publish(content_client, stranger, public, "1.0.0")).status_code == 403
    hidden = await publish(content_client, stranger, private, "1.0.0")
    assert hidden.status_code == 404
    assert hidden.json()["error"] == "dataset_not_found"
    assert (await content_client.get(versions_path(private))).status_code == 404
    listed = await content_client.get(versions_path(private), headers=owner.bearer)
    assert listed.status_code == 200
    assert listed.json()["total"] == 0
