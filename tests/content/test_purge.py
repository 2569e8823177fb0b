"""Deleting is soft for ``DATASET_DELETE_GRACE_DAYS``: the dataset can be restored by whoever
could delete it; after that ``purge_expired`` (and ``fltr-content datasets purge``) drops
every version's Milvus collection and then the rows, keeping the audit log."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from fltr_content.audit.models import AuditEntry
from fltr_content.datasets.models import Dataset
from fltr_content.datasets.purge import purge_expired
from fltr_content.documents.models import Document
from fltr_content.migration_spec import CONTENT_MIGRATIONS
from fltr_content.tags.models import Tag
from fltr_content.versions.models import DatasetVersion
from fltr_shared.db import utcnow
from tests.auth.helpers import sign_up
from tests.content.catalog_support import DIM, upload_chunks
from tests.content.test_datasets import DATASETS, create, listed_ids
from tests.support import REPO_ROOT, clean_env, console_script, service_database

pytestmark = pytest.mark.core


async def age_deletion(content_app: FastAPI, dataset_id: str, days: float) -> None:
    async with content_app.state.db.transaction() as session:
        await session.execute(
            update(Dataset)
            .where(Dataset.id == dataset_id)
            .values(deleted_at=utcnow() - timedelta(days=days))
        )


async def usage(content_app: FastAPI, slug: str) -> int:
    async with content_app.state.db.transaction() as session:
        count = await session.scalar(select(Tag.usage_count).where(Tag.slug == slug))
        return int(count or 0)


async def test_restore_within_the_grace_period(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, content_app: FastAPI
) -> None:
    owner = await sign_up(auth_client)
    stranger = await sign_up(auth_client)
    made = await create(content_client, owner, "Comeback", tags=["restorable-tag"])
    path = f"{DATASETS}/{made['id']}"
    live = await content_client.post(f"{path}:restore", headers=owner.bearer)
    assert live.status_code == 404  # nothing to restore
    assert (await content_client.delete(path, headers=owner.bearer)).status_code == 204
    assert await usage(content_app, "restorable-tag") == 0

    refused = await content_client.post(f"{path}:restore", headers=stranger.bearer)
    assert refused.status_code == 404
    assert (await content_client.post(f"{path}:restore")).status_code == 401
    back = await content_client.post(f"{DATASETS}/{made['slug']}:restore", headers=owner.bearer)
    assert back.status_code == 200, back.text
    assert back.json()["tags"] == ["restorable-tag"]
    assert (await content_client.get(path)).status_code == 200
    assert made["id"] in await listed_ids(content_client, owner=owner.user["id"])
    assert await usage(content_app, "restorable-tag") == 1

    assert (await content_client.delete(path, headers=owner.bearer)).status_code == 204
    await age_deletion(content_app, made["id"], days=8)
    late = await content_client.post(f"{path}:restore", headers=owner.bearer)
    assert late.status_code == 404


async def test_purge_drops_collections_then_rows(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, content_app: FastAPI
) -> None:
    owner = await sign_up(auth_client)
    old = await create(content_client, owner, "Old News", embedding_dimension=DIM, tags=["x"])
    recent = await create(content_client, owner, "Recent News")
    kept = await create(content_client, owner, "Still Here")
    await upload_chunks(content_app, old["id"], ["one", "two"])
    published = await content_client.post(
        f"{DATASETS}/{old['id']}/versions", json={"version": "1.0.0"}, headers=owner.bearer
    )
    assert published.status_code == 201
    await content_client.put(
        f"{DATASETS}/{old['id']}/reviews",
        json={"rating": 4},
        headers=(await sign_up(auth_client)).bearer,
    )
    for made in (old, recent):
        assert (
            await content_client.delete(f"{DATASETS}/{made['id']}", headers=owner.bearer)
        ).status_code == 204
    await age_deletion(content_app, old["id"], days=7.5)
    await age_deletion(content_app, recent["id"], days=1)
    async with content_app.state.db.transaction() as session:
        collections = list(
            await session.scalars(
                select(DatasetVersion.collection_name).where(DatasetVersion.dataset_id == old["id"])
            )
        )
    assert len(collections) == 2
    chunks = content_app.state.chunks
    assert all([await chunks.exists(c) for c in collections])

    async with content_app.state.db.transaction() as session:
        purged = await purge_expired(session, chunks, utcnow(), grace_days=7)
    assert old["id"] in purged
    assert recent["id"] not in purged
    assert not any([await chunks.exists(c) for c in collections])
    async with content_app.state.db.transaction() as session:
        ids = set(await session.scalars(select(Dataset.id)))
        assert old["id"] not in ids
        assert {recent["id"], kept["id"]} <= ids
        for model in (DatasetVersion, Document):
            left = await session.scalar(
                select(func.count()).select_from(model).where(model.dataset_id == old["id"])
            )
            assert left == 0
        actions = set(
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.dataset_id == old["id"])
            )
        )
    assert {"dataset.create", "dataset.delete", "dataset.purge"} <= actions
    # the recently deleted one can still come back
    back = await content_client.post(f"{DATASETS}/{recent['id']}:restore", headers=owner.bearer)
    assert back.status_code == 200


async def test_the_purge_command(tmp_path: Path) -> None:
    async with service_database("fltr_purge_cli", CONTENT_MIGRATIONS, tmp_path) as url:
        result = await asyncio.to_thread(
            subprocess.run,
            [console_script("fltr-content"), "datasets", "purge", "--grace-days", "7"],
            env=clean_env(
                DATABASE_URL=url,
                VAR_DIR=str(tmp_path / "var"),
                MILVUS_URI=str(tmp_path / "milvus.db"),
            ),
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0, result.stderr
    assert "Purged 0 dataset(s)" in result.stdout
