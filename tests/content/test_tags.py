"""Tags over HTTP: set on create and patch (normalised, created on first use), usage counts
kept right through create, patch and soft delete, the ``tag=`` listing filter, bad tag lists
(422, nothing changed), and ``GET /api/v1/tags``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.auth.helpers import sign_up
from tests.content.test_datasets import DATASETS, create, listed_ids

pytestmark = pytest.mark.core

TAGS = "/api/v1/tags"


async def counts(client: httpx.AsyncClient, **params: Any) -> dict[str, int]:
    response = await client.get(TAGS, params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return {item["slug"]: item["usage_count"] for item in response.json()["items"]}


async def test_tags_on_create_and_patch(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client)
    made = await create(content_client, owner, tags=["  Pharma ", "Drug  Safety", "pharma", "FDA"])
    assert made["tags"] == ["drug safety", "fda", "pharma"]
    read = await content_client.get(f"{DATASETS}/{made['slug']}")
    assert read.json()["tags"] == ["drug safety", "fda", "pharma"]
    assert await counts(content_client) == {"drug-safety": 1, "fda": 1, "pharma": 1}

    patched = await content_client.patch(
        f"{DATASETS}/{made['id']}", json={"tags": ["pharma", "EMA"]}, headers=owner.bearer
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["tags"] == ["ema", "pharma"]
    untouched = await content_client.patch(
        f"{DATASETS}/{made['id']}", json={"name": "Renamed"}, headers=owner.bearer
    )
    assert untouched.json()["tags"] == ["ema", "pharma"]
    # a tag nobody carries any more stays, at zero
    assert await counts(content_client) == {"drug-safety": 0, "fda": 0, "pharma": 1, "ema": 1}
    cleared = await content_client.patch(
        f"{DATASETS}/{made['id']}", json={"tags": []}, headers=owner.bearer
    )
    assert cleared.json()["tags"] == []
    assert set((await counts(content_client)).values()) == {0}


async def test_counts_follow_create_patch_and_delete(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client)
    first = await create(content_client, owner, "One", tags=["law", "eu"])
    second = await create(content_client, owner, "Two", tags=["law"])
    await create(content_client, owner, "Three", tags=["law", "uk"])
    assert await counts(content_client) == {"law": 3, "eu": 1, "uk": 1}

    await content_client.patch(
        f"{DATASETS}/{second['id']}", json={"tags": ["eu"]}, headers=owner.bearer
    )
    assert await counts(content_client) == {"law": 2, "eu": 2, "uk": 1}

    deleted = await content_client.delete(f"{DATASETS}/{first['id']}", headers=owner.bearer)
    assert deleted.status_code == 204
    assert await counts(content_client) == {"law": 1, "eu": 1, "uk": 1}


async def test_tag_filter(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client)
    ml = await create(content_client, owner, "Models", tags=["Machine Learning"])
    both = await create(content_client, owner, "Both", tags=["machine learning", "vision"])
    await create(content_client, owner, "Other", tags=["vision"])
    gone = await create(content_client, owner, "Gone", tags=["machine learning"])
    await content_client.delete(f"{DATASETS}/{gone['id']}", headers=owner.bearer)

    mine = {"owner": owner.user["id"]}
    assert await listed_ids(content_client, tag="machine-learning", **mine) == [
        both["id"],
        ml["id"],
    ]
    assert await listed_ids(content_client, tag="nothing", **mine) == []
    page = await content_client.get(
        DATASETS, params={"tag": "machine-learning", "offset": 0, **mine}
    )
    assert page.json()["total"] == 2
    assert [item["tags"] for item in page.json()["items"]] == [
        ["machine learning", "vision"],
        ["machine learning"],
    ]


@pytest.mark.parametrize(
    "tags",
    [
        [f"t{i}" for i in range(21)],
        ["x" * 51],
        [""],
        ["   "],
        ["!!!"],
        "not-a-list",
    ],
    ids=["too-many", "too-long", "empty", "blank", "no-letters", "not-a-list"],
)
async def test_bad_tags_are_422_and_change_nothing(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, tags: Any
) -> None:
    owner = await sign_up(auth_client)
    made = await create(content_client, owner, "Kept", tags=["kept"])
    before = await counts(content_client)

    refused = await content_client.post(
        DATASETS, json={"name": "New", "tags": tags}, headers=owner.bearer
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"] == "validation_error"
    patched = await content_client.patch(
        f"{DATASETS}/{made['id']}", json={"name": "Changed", "tags": tags}, headers=owner.bearer
    )
    assert patched.status_code == 422, patched.text

    assert await listed_ids(content_client, owner=owner.user["id"]) == [made["id"]]
    after = (await content_client.get(f"{DATASETS}/{made['id']}")).json()
    assert (after["name"], after["tags"]) == ("Kept", ["kept"])
    assert await counts(content_client) == before


async def test_twenty_tags_of_fifty_characters_are_accepted(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client)
    names = [f"{i:02d}" + "x" * 48 for i in range(20)]
    made = await create(content_client, owner, tags=names)
    assert made["tags"] == sorted(names)


async def test_list_tags_sorted_searched_and_paginated(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client)
    await create(content_client, owner, "A", tags=["beta", "alpha", "gamma"])
    await create(content_client, owner, "B", tags=["gamma", "beta"])
    await create(content_client, owner, "C", tags=["gamma"])

    listing = await content_client.get(TAGS)
    assert listing.status_code == 200, listing.text
    body = listing.json()
    assert [(t["name"], t["usage_count"]) for t in body["items"]] == [
        ("gamma", 3),
        ("beta", 2),
        ("alpha", 1),
    ]
    assert body["total"] == 3
    assert set(body["items"][0]) >= {"id", "name", "slug", "description", "icon", "created_at"}

    page = (await content_client.get(TAGS, params={"limit": 2, "offset": 1})).json()
    assert [t["name"] for t in page["items"]] == ["beta", "alpha"]
    assert (page["total"], page["has_more"]) == (3, False)
    searched = (await content_client.get(TAGS, params={"q": "  ALP"})).json()
    assert [t["name"] for t in searched["items"]] == ["alpha"]
    assert (await content_client.get(TAGS, params={"limit": 101})).status_code == 422
