"""Reviews over HTTP: one per user per dataset (a second PUT updates it), never on your own
dataset, rating 1..5 (0 or 6 is 422 with nothing changed), 404 for a private dataset, helpful
votes once per user, and the dataset's rating average exact after several users' reviews and
a concurrent burst (on separate sessions: the HTTP fixture shares one connection per test)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from fltr_content.callers.resolver import Caller
from fltr_content.datasets.models import Dataset
from fltr_content.migration_spec import CONTENT_MIGRATIONS
from fltr_content.reviews import service
from fltr_content.reviews.schemas import ReviewIn
from tests.auth.helpers import SignedUp, sign_up
from tests.content.test_datasets import DATASETS, create
from tests.support import BACKEND, service_database


def reviews_url(dataset: dict[str, Any]) -> str:
    return f"{DATASETS}/{dataset['slug']}/reviews"


async def put(
    client: httpx.AsyncClient, dataset: dict[str, Any], who: SignedUp, **body: Any
) -> httpx.Response:
    return await client.put(reviews_url(dataset), json=body, headers=who.bearer)


async def rating_of(client: httpx.AsyncClient, dataset: dict[str, Any]) -> tuple[float, int]:
    read = (await client.get(f"{DATASETS}/{dataset['id']}")).json()
    return read["rating_average"], read["rating_count"]


@pytest.mark.core
async def test_one_review_per_user_updated_in_place(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client)
    reader = await sign_up(auth_client)
    dataset = await create(content_client, owner)

    first = await put(content_client, dataset, reader, rating=4, title="Good", comment="Useful.")
    assert first.status_code == 201, first.text
    assert first.json()["verified_purchase"] is False
    assert first.json()["user_id"] == reader.user["id"]
    again = await put(content_client, dataset, reader, rating=2, title="Meh")
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]

    listed = (await content_client.get(reviews_url(dataset))).json()
    assert listed["total"] == 1
    assert [(r["rating"], r["title"], r["comment"]) for r in listed["items"]] == [(2, "Meh", None)]
    assert await rating_of(content_client, dataset) == (2.0, 1)

    gone = await content_client.delete(f"{reviews_url(dataset)}/mine", headers=reader.bearer)
    assert gone.status_code == 204
    assert await rating_of(content_client, dataset) == (0.0, 0)
    twice = await content_client.delete(f"{reviews_url(dataset)}/mine", headers=reader.bearer)
    assert twice.status_code == 404
    assert twice.json()["error"] == "review_not_found"


@pytest.mark.core
async def test_own_dataset_bad_ratings_and_private(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client)
    reader = await sign_up(auth_client)
    dataset = await create(content_client, owner)

    own = await put(content_client, dataset, owner, rating=5)
    assert own.status_code == 403
    assert own.json()["error"] == "own_dataset"
    for rating in (0, 6):
        bad = await put(content_client, dataset, reader, rating=rating)
        assert bad.status_code == 422, bad.text
    too_long = await put(content_client, dataset, reader, rating=3, title="x" * 201)
    assert too_long.status_code == 422
    assert (await content_client.get(reviews_url(dataset))).json()["total"] == 0
    assert await rating_of(content_client, dataset) == (0.0, 0)
    anonymous = await content_client.put(reviews_url(dataset), json={"rating": 3})
    assert anonymous.status_code == 401

    private = await create(content_client, owner, "Secret", visibility="private")
    hidden = await put(content_client, private, reader, rating=3)
    assert hidden.status_code == 404
    assert hidden.json()["error"] == "dataset_not_found"
    listing = await content_client.get(reviews_url(private), headers=reader.bearer)
    assert listing.status_code == 404


@pytest.mark.core
async def test_average_exact_after_several_reviews_newest_first(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client)
    dataset = await create(content_client, owner)
    ratings = [5, 4, 4, 1, 3]
    for rating in ratings:
        reader = await sign_up(auth_client)
        response = await put(content_client, dataset, reader, rating=rating)
        assert response.status_code == 201, response.text
    assert await rating_of(content_client, dataset) == pytest.approx((sum(ratings) / 5, 5))
    page = (await content_client.get(reviews_url(dataset), params={"limit": 2})).json()
    assert page["total"] == 5
    assert [item["rating"] for item in page["items"]] == [3, 1]


@pytest.mark.core
async def test_helpful_votes_are_idempotent(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient
) -> None:
    owner = await sign_up(auth_client)
    author = await sign_up(auth_client)
    voters = [await sign_up(auth_client) for _ in range(2)]
    dataset = await create(content_client, owner)
    review = (await put(content_client, dataset, author, rating=4)).json()
    helpful = f"/api/v1/reviews/{review['id']}/helpful"

    for _ in range(2):
        voted = await content_client.post(helpful, headers=voters[0].bearer)
        assert voted.status_code == 200, voted.text
        assert voted.json()["helpful_count"] == 1
    voted = await content_client.post(helpful, headers=voters[1].bearer)
    assert voted.json()["helpful_count"] == 2
    own = await content_client.post(helpful, headers=author.bearer)
    assert own.status_code == 403
    assert own.json()["error"] == "own_review"
    missing = await content_client.post("/api/v1/reviews/nope/helpful", headers=author.bearer)
    assert missing.status_code == 404
    listed = (await content_client.get(reviews_url(dataset))).json()
    assert listed["items"][0]["helpful_count"] == 2


def _user(user_id: str) -> Caller:
    return Caller(
        user_id=user_id,
        email=f"{user_id}@example.test",
        name=user_id,
        role="user",
        email_verified=True,
        credential="session",
    )


@pytest.mark.skipif(BACKEND == "sqlite", reason="concurrent writers: PostgreSQL only")
async def test_concurrent_burst_keeps_average_exact(tmp_path: Path) -> None:
    """Ten users review at once, each in its own session and transaction on a fresh
    database: the count and average come out exact."""
    async with service_database("fltr_reviews_race", CONTENT_MIGRATIONS, tmp_path) as url:
        engine = create_async_engine(url, pool_size=12)
        sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
        try:
            async with sessions.begin() as session:
                dataset = Dataset(name="Burst", slug="burst", owner_id="owner")
                session.add(dataset)
            ratings = [1, 2, 3, 4, 5, 5, 4, 3, 2, 2]

            async def review(n: int, rating: int) -> None:
                async with sessions.begin() as session:
                    await service.put_review(
                        session, _user(f"user{n}"), "burst", ReviewIn(rating=rating)
                    )

            await asyncio.gather(*(review(n, r) for n, r in enumerate(ratings)))
            # a second burst: the same users change their ratings
            await asyncio.gather(*(review(n, 6 - r) for n, r in enumerate(ratings)))
            async with sessions() as session:
                row = await session.get_one(Dataset, dataset.id)
                assert row.rating_count == len(ratings)
                assert row.rating_average == pytest.approx(
                    sum(6 - r for r in ratings) / len(ratings)
                )
        finally:
            await engine.dispose()


@pytest.mark.core
async def test_verified_purchase_comes_from_the_entitlement_check(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, auth_app: FastAPI
) -> None:
    from fltr_auth.billing.models import Purchase

    owner = await sign_up(auth_client)
    buyer = await sign_up(auth_client)
    browser = await sign_up(auth_client)
    dataset = await create(
        content_client, owner, "For Sale", pricing_model="one_time", price_cents=500
    )
    async with auth_app.state.db.transaction() as db:
        db.add(
            Purchase(
                id=f"p-{buyer.user['id']}",
                source_id=f"cs_{buyer.user['id']}",
                kind="dataset_purchase",
                status="paid",
                user_id=buyer.user["id"],
                dataset_id=dataset["id"],
                amount_cents=500,
            )
        )
    bought = await put(content_client, dataset, buyer, rating=5)
    assert bought.status_code == 201, bought.text
    assert bought.json()["verified_purchase"] is True
    looked = await put(content_client, dataset, browser, rating=2)
    assert looked.status_code == 201, looked.text
    assert looked.json()["verified_purchase"] is False
