"""The audit log: every catalog change writes who, what, which resource, when, from which
address and user agent, with the request id, in the same transaction as the change (a
refused change leaves no entry); ``GET .../audit`` is for editors and admins."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.auth.helpers import SignedUp, sign_up
from tests.content.test_api_keys import new_key
from tests.content.test_datasets import DATASETS, create, make_admin

pytestmark = pytest.mark.core


async def audit_of(
    client: httpx.AsyncClient, who: SignedUp, dataset: dict[str, Any]
) -> list[dict[str, Any]]:
    response = await client.get(
        f"{DATASETS}/{dataset['id']}/audit", params={"limit": 100}, headers=who.bearer
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_every_change_is_logged_with_its_context(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client)
    context = {"User-Agent": "catalog-test/1.0", "X-Request-ID": "req-audit-1"}
    made = await content_client.post(
        DATASETS,
        json={"name": "Audited", "category": "legal", "tags": ["law"]},
        headers={**owner.bearer, **context},
    )
    assert made.status_code == 201
    dataset = made.json()
    path = f"{DATASETS}/{dataset['id']}"
    await content_client.patch(
        path, json={"name": "Audited 2", "tags": ["law", "eu"]}, headers=owner.bearer
    )
    await content_client.patch(path, json={"name": "Audited 2"}, headers=owner.bearer)  # no-op
    await content_client.post(
        f"{path}/sources", json={"type": "manual", "name": "Notes"}, headers=owner.bearer
    )
    await content_client.post(f"{path}/versions", json={"version": "1.0.0"}, headers=owner.bearer)
    assert (await content_client.delete(path, headers=owner.bearer)).status_code == 204
    restored = await content_client.post(f"{path}:restore", headers=owner.bearer)
    assert restored.status_code == 200, restored.text

    entries = await audit_of(content_client, owner, dataset)
    assert [e["action"] for e in entries] == [
        "dataset.restore",
        "dataset.delete",
        "version.publish",
        "source.create",
        "dataset.update",
        "dataset.create",
    ]
    first = entries[-1]
    assert (first["actor_type"], first["actor_id"]) == ("user", owner.user["id"])
    assert (first["resource_type"], first["resource_id"]) == ("dataset", dataset["id"])
    assert (first["user_agent"], first["request_id"]) == ("catalog-test/1.0", "req-audit-1")
    assert first["ip"]
    assert first["changes"]["name"] == "Audited"
    assert first["changes"]["category"] == "legal"
    update = entries[-2]["changes"]
    assert update["name"] == {"before": "Audited", "after": "Audited 2"}
    assert update["tags"] == {"before": ["law"], "after": ["eu", "law"]}
    assert set(update) == {"name", "tags"}


async def test_a_refused_change_leaves_no_entry(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client)
    await create(content_client, owner, "Taken", slug="taken-audit")
    other = await create(content_client, owner, "Other")
    clash = await content_client.patch(
        f"{DATASETS}/{other['id']}", json={"slug": "taken-audit"}, headers=owner.bearer
    )
    assert clash.status_code == 409
    assert [e["action"] for e in await audit_of(content_client, owner, other)] == ["dataset.create"]


async def test_api_keys_are_logged_as_keys(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client)
    key = await new_key(auth_client, owner, scopes=["read", "write"])
    made = await content_client.post(
        DATASETS, json={"name": "By Key"}, headers={"X-API-Key": key["key"]}
    )
    assert made.status_code == 201
    [entry] = await audit_of(content_client, owner, made.json())
    assert (entry["actor_type"], entry["actor_id"]) == ("api_key", key["id"])


async def test_only_editors_and_admins_read_the_log(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, auth_app: FastAPI
) -> None:
    admin = await make_admin(auth_app, auth_client)
    owner = await sign_up(auth_client)
    stranger = await sign_up(auth_client)
    public = await create(content_client, owner, "Public Log")
    private = await create(content_client, owner, "Private Log", visibility="private")
    assert (await content_client.get(f"{DATASETS}/{public['id']}/audit")).status_code == 401
    refused = await content_client.get(f"{DATASETS}/{public['id']}/audit", headers=stranger.bearer)
    assert refused.status_code == 403
    hidden = await content_client.get(f"{DATASETS}/{private['id']}/audit", headers=stranger.bearer)
    assert hidden.status_code == 404
    assert len(await audit_of(content_client, admin, private)) == 1


async def test_reviews_are_logged(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client)
    reader = await sign_up(auth_client)
    dataset = await create(content_client, owner, "Reviewed")
    url = f"{DATASETS}/{dataset['id']}/reviews"
    assert (
        await content_client.put(url, json={"rating": 4}, headers=reader.bearer)
    ).status_code == 201
    assert (
        await content_client.put(url, json={"rating": 2}, headers=reader.bearer)
    ).status_code == 200
    entries = await audit_of(content_client, owner, dataset)
    assert [e["action"] for e in entries] == ["review.update", "review.create", "dataset.create"]
    assert entries[0]["changes"] == {"rating": {"before": 4, "after": 2}}
    assert entries[0]["actor_id"] == reader.user["id"]
