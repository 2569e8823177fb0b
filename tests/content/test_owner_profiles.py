"""Dataset responses carry the owner's public profile (name, username, image), fetched from
the auth service in one batched call per page, never one per row, and cached briefly."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from fltr_auth.users.models import User
from tests.auth.helpers import sign_up
from tests.content.catalog_support import create_org
from tests.content.test_datasets import DATASETS, create

pytestmark = pytest.mark.core


def profile_calls(auth_app: FastAPI) -> float:
    value = auth_app.state.metrics.registry.get_sample_value(
        "fltr_http_requests_total",
        {"service": "auth", "method": "POST", "route": "/internal/v1/profiles", "status": "200"},
    )
    return value or 0.0


def forget_profiles(content_app: FastAPI) -> None:
    content_app.state.owner_directory = None  # a cold cache, as in a new process


async def test_one_profile_call_per_page(
    auth_client: httpx.AsyncClient,
    content_client: httpx.AsyncClient,
    auth_app: FastAPI,
    content_app: FastAPI,
) -> None:
    ada = await sign_up(auth_client, name="Ada Lovelace")
    grace = await sign_up(auth_client, name="Grace Hopper")
    async with auth_app.state.db.transaction() as db:
        user = await db.get(User, grace.user["id"])
        assert user is not None
        user.username, user.image = "grace", "https://img.example/grace.png"
    team = await create_org(auth_client, ada, logo="https://img.example/acme.png")
    made = [await create(content_client, ada, f"Ada {i}") for i in range(4)]
    made += [await create(content_client, grace, f"Grace {i}") for i in range(3)]
    made.append(await create(content_client, ada, "Team Set", team_id=team["id"]))
    wanted = {d["id"] for d in made}

    forget_profiles(content_app)
    before = profile_calls(auth_app)
    page = await content_client.get(DATASETS, params={"limit": 100, "q": "", "sort": "newest"})
    assert page.status_code == 200, page.text
    assert profile_calls(auth_app) - before == 1
    owners = {i["id"]: i["owner"] for i in page.json()["items"] if i["id"] in wanted}
    assert len(owners) == 8
    assert owners[made[0]["id"]] == {
        "id": ada.user["id"],
        "type": "user",
        "name": "Ada Lovelace",
        "username": None,
        "image": None,
    }
    assert owners[made[4]["id"]] == {
        "id": grace.user["id"],
        "type": "user",
        "name": "Grace Hopper",
        "username": "grace",
        "image": "https://img.example/grace.png",
    }
    assert owners[made[7]["id"]] == {
        "id": team["id"],
        "type": "team",
        "name": "Acme Labs",
        "username": team["slug"],
        "image": "https://img.example/acme.png",
    }
    # never the private fields
    assert "email" not in str(page.json())

    # the next page (and a single read) within the cache's life: no call at all
    again = await content_client.get(DATASETS, params={"limit": 3})
    assert again.status_code == 200
    single = await content_client.get(f"{DATASETS}/{made[4]['slug']}")
    assert single.json()["owner"]["name"] == "Grace Hopper"
    assert profile_calls(auth_app) - before == 1


async def test_an_unknown_owner_keeps_the_listing_working(
    auth_client: httpx.AsyncClient,
    content_client: httpx.AsyncClient,
    auth_app: FastAPI,
    content_app: FastAPI,
) -> None:
    owner = await sign_up(auth_client)
    made = await create(content_client, owner, "Orphan")
    async with auth_app.state.db.transaction() as db:
        user = await db.get(User, owner.user["id"])
        assert user is not None
        await db.delete(user)
    forget_profiles(content_app)
    read = await content_client.get(f"{DATASETS}/{made['id']}")
    assert read.status_code == 200
    assert read.json()["owner"] == {
        "id": owner.user["id"],
        "type": "user",
        "name": None,
        "username": None,
        "image": None,
    }
