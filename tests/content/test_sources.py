"""``/api/v1/datasets/{slug}/sources``: editors add, change and delete a dataset's sources,
readers list them; url sources need an http(s) URL; bad input is a 4xx changing nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.auth.helpers import sign_up
from tests.content.test_datasets import DATASETS, create

pytestmark = pytest.mark.core


def sources_path(dataset: dict[str, Any]) -> str:
    return f"{DATASETS}/{dataset['slug']}/sources"


async def test_create_list_update_delete(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client)
    dataset = await create(content_client, owner, "Sourced")
    path = sources_path(dataset)
    made = await content_client.post(
        path,
        json={
            "type": "url",
            "name": "FDA labels",
            "url": "https://example.com/labels",
            "sync_frequency": "weekly",
            "metadata": {"lang": "en"},
        },
        headers=owner.bearer,
    )
    assert made.status_code == 201, made.text
    source = made.json()
    assert (source["type"], source["name"], source["sync_frequency"]) == (
        "url",
        "FDA labels",
        "weekly",
    )
    assert (source["is_active"], source["last_synced_at"], source["metadata"]) == (
        True,
        None,
        {"lang": "en"},
    )
    pdf = await content_client.post(
        path,
        json={"type": "pdf", "name": "Handbook", "file_path": "docs/handbook.pdf", "size_bytes": 9},
        headers=owner.bearer,
    )
    assert pdf.status_code == 201, pdf.text

    listed = await content_client.get(path)  # readers (anyone, for a public dataset)
    assert listed.status_code == 200
    assert [s["name"] for s in listed.json()["items"]] == ["Handbook", "FDA labels"]
    assert listed.json()["total"] == 2

    patched = await content_client.patch(
        f"{path}/{source['id']}",
        json={
            "is_active": False,
            "sync_frequency": "daily",
            "last_synced_at": "2026-11-01T00:00:00Z",
        },
        headers=owner.bearer,
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["is_active"], patched.json()["sync_frequency"]) == (False, "daily")
    assert patched.json()["last_synced_at"].startswith("2026-11-01")
    assert (await content_client.get(f"{path}/{source['id']}")).json()["is_active"] is False

    deleted = await content_client.delete(f"{path}/{source['id']}", headers=owner.bearer)
    assert deleted.status_code == 204
    assert (await content_client.get(f"{path}/{source['id']}")).status_code == 404
    assert (await content_client.get(path)).json()["total"] == 1


@pytest.mark.parametrize(
    "body",
    [
        {"type": "url", "name": "No URL"},
        {"type": "url", "name": "FTP", "url": "ftp://example.com/x"},
        {"type": "url", "name": "Script", "url": "javascript:alert(1)"},
        {"type": "url", "name": "No host", "url": "https://"},
        {"type": "ftp", "name": "Unknown type"},
        {"type": "pdf", "name": ""},
        {"type": "pdf", "name": "Escape", "file_path": "../../etc/passwd"},
        {"type": "pdf", "name": "Absolute", "file_path": "/etc/passwd"},
        {"type": "csv", "name": "Negative", "size_bytes": -1},
        {"type": "api", "name": "Often", "sync_frequency": "hourly"},
    ],
    ids=[
        "url-missing",
        "ftp",
        "javascript",
        "no-host",
        "type",
        "name",
        "dotdot",
        "absolute",
        "size",
        "frequency",
    ],
)
async def test_bad_sources_are_422_and_add_nothing(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    owner = await sign_up(auth_client)
    dataset = await create(content_client, owner, "Strict Sources")
    refused = await content_client.post(sources_path(dataset), json=body, headers=owner.bearer)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"] == "validation_error"
    assert (await content_client.get(sources_path(dataset))).json()["total"] == 0


async def test_a_url_source_keeps_its_url(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client)
    dataset = await create(content_client, owner, "Kept URL")
    source = (
        await content_client.post(
            sources_path(dataset),
            json={"type": "url", "name": "Site", "url": "http://example.com"},
            headers=owner.bearer,
        )
    ).json()
    item = f"{sources_path(dataset)}/{source['id']}"
    for body in ({"url": None}, {"url": "file:///etc/passwd"}):
        refused = await content_client.patch(item, json=body, headers=owner.bearer)
        assert refused.status_code == 422, refused.text
    assert (await content_client.get(item)).json()["url"] == "http://example.com"


async def test_only_editors_change_sources_and_private_ones_are_hidden(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client)
    stranger = await sign_up(auth_client)
    public = await create(content_client, owner, "Public Sources")
    private = await create(content_client, owner, "Private Sources", visibility="private")
    body = {"type": "manual", "name": "Typed in"}
    assert (await content_client.post(sources_path(public), json=body)).status_code == 401
    refused = await content_client.post(sources_path(public), json=body, headers=stranger.bearer)
    assert refused.status_code == 403
    hidden = await content_client.post(sources_path(private), json=body, headers=stranger.bearer)
    assert hidden.status_code == 404
    assert (await content_client.get(sources_path(private))).status_code == 404
    mine = await content_client.post(sources_path(private), json=body, headers=owner.bearer)
    assert mine.status_code == 201
    item = f"{sources_path(public)}/{mine.json()['id']}"
    # a source is only found under its own dataset
    assert (await content_client.get(item)).status_code == 404
    assert (await content_client.get(sources_path(public))).json()["total"] == 0
