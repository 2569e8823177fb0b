"""The content side of billing against a billing-enabled auth service over real HTTP:
premium dataset checkout with the dataset's own facts, and plan limits on datasets and
documents (403 plan_limit_reached naming the limit)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from fltr_auth.app import create_app as create_auth_app
from fltr_auth.billing.config import Plan, PlanLimits
from fltr_auth.settings import AuthSettings
from fltr_content.app import create_app as create_content_app
from fltr_content.settings import ContentSettings
from tests.auth.billing_support.app import (
    Billing,
    billing_app_fixture,
    billing_fixture,
    billing_settings,
)
from tests.auth.credit_helpers import grant
from tests.auth.helpers import sign_up
from tests.conftest import cookieless_client, rolled_back
from tests.content import documents as docs
from tests.support import serve_in_loop

__all__ = ["billing_app_fixture", "billing_fixture"]  # fixtures used here


TIGHT_PLANS = {
    "free": Plan(limits=PlanLimits(datasets_per_month=2, documents=1, searches_per_month=1))
}


@pytest.fixture(scope="module")
async def tight_app(auth_settings: AuthSettings) -> AsyncIterator[FastAPI]:
    """A billing-enabled auth app whose free plan allows 2 datasets a month and 1 document."""
    app = create_auth_app(
        billing_settings(auth_settings).model_copy(update={"billing_plans": TIGHT_PLANS})
    )
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def tight(
    tight_app: FastAPI,
    content_settings: ContentSettings,
    ingest_database_url: str,
    tmp_path: Path,
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """The content side commits (to the committed-data test database): its usage writer runs
    in the background, which a shared rolled-back connection cannot host."""
    async with (
        rolled_back(tight_app.state.db),
        cookieless_client(tight_app, "http://auth.test") as auth,
        serve_in_loop(tight_app) as auth_url,
    ):
        settings = content_settings.model_copy(
            update={
                "auth_service_url": auth_url,
                "database_url": ingest_database_url,
                "var_dir": tmp_path,
                "milvus_uri": str(tmp_path / "m.db"),
                "usage_flush_seconds": 0.1,
            }
        )
        app = create_content_app(settings)
        async with app.router.lifespan_context(app):
            await app.state.jobs.stop()  # uploads stay queued: nothing runs beside the test
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://content.test"
            ) as client:
                yield auth, client


@pytest.fixture
async def billed(
    billing: Billing, content_settings: ContentSettings, tmp_path: Path
) -> AsyncIterator[tuple[Billing, httpx.AsyncClient, FastAPI]]:
    """A content app whose auth service has billing on (Stripe faked at its HTTP layer)."""
    async with serve_in_loop(billing.app) as auth_url:
        settings = content_settings.model_copy(
            update={
                "auth_service_url": auth_url,
                "var_dir": tmp_path,
                "milvus_uri": str(tmp_path / "m.db"),
            }
        )
        app = create_content_app(settings)
        async with (
            app.router.lifespan_context(app),
            rolled_back(app.state.db),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://content.test"
            ) as client,
        ):
            yield billing, client, app


async def test_premium_checkout_sends_the_datasets_facts(
    billed: tuple[Billing, httpx.AsyncClient, FastAPI],
) -> None:
    billing, content, _ = billed
    curator = await sign_up(billing.client, name="Curator")
    buyer = await sign_up(billing.client, name="Buyer")
    made = await content.post(
        "/api/v1/datasets",
        json={
            "name": "Premium Law",
            "visibility": "premium",
            "pricing_model": "subscription",
            "price_monthly_cents": 900,
            "price_annual_cents": 9000,
        },
        headers=curator.bearer,
    )
    assert made.status_code == 201, made.text
    slug = made.json()["slug"]
    answer = await content.post(
        f"/api/v1/datasets/{slug}/checkout", json={"interval": "year"}, headers=buyer.bearer
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["url"].startswith("https://checkout.stripe.com/")
    form = billing.stripe.calls("/v1/checkout/sessions")[-1].form
    assert form["line_items[0][price_data][unit_amount]"] == "9000"
    assert form["subscription_data[metadata][fltr_dataset_id]"] == made.json()["id"]

    own = await content.post(f"/api/v1/datasets/{slug}/checkout", json={}, headers=curator.bearer)
    assert own.status_code == 409
    assert own.json()["error"] == "own_dataset"
    free = await content.post("/api/v1/datasets", json={"name": "Free One"}, headers=curator.bearer)
    refused = await content.post(
        f"/api/v1/datasets/{free.json()['slug']}/checkout", json={}, headers=buyer.bearer
    )
    assert refused.status_code == 409
    assert refused.json()["error"] == "free_dataset"
    unknown = await content.post("/api/v1/datasets/nope/checkout", json={}, headers=buyer.bearer)
    assert unknown.status_code == 404


async def test_plan_limits_on_datasets_and_documents(
    tight: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    auth, content = tight
    curator = await sign_up(auth, name="Curator")
    await grant(auth, curator.user["id"], 100)
    slugs = []
    for name in ("First", "Second"):
        made = await content.post("/api/v1/datasets", json={"name": name}, headers=curator.bearer)
        assert made.status_code == 201, made.text
        slugs.append(made.json()["slug"])
    third = await content.post("/api/v1/datasets", json={"name": "Third"}, headers=curator.bearer)
    assert third.status_code == 403, third.text
    assert third.json()["error"] == "plan_limit_reached"
    assert third.json()["limit"] == "datasets_per_month"

    path = f"/api/v1/datasets/{slugs[0]}/documents"
    first = await content.post(
        path, files=[("files", ("a.md", docs.MARKDOWN_DOC))], headers=curator.bearer
    )
    assert first.status_code == 202, first.text
    second = await content.post(
        path, files=[("files", ("b.txt", docs.PLAIN_TEXT))], headers=curator.bearer
    )
    assert second.status_code == 403, second.text
    assert second.json()["limit"] == "documents"
    listed = await content.get(path, headers=curator.bearer)
    assert listed.json()["total"] == 1


async def test_plan_limit_on_searches(
    tight: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    auth, content = tight
    searcher = await sign_up(auth, name="Searcher")
    await grant(auth, searcher.user["id"], 100)
    made = await content.post("/api/v1/datasets", json={"name": "Atlas"}, headers=searcher.bearer)
    assert made.status_code == 201, made.text
    path = f"/api/v1/datasets/{made.json()['slug']}/search"
    first = await content.post(path, json={"query": "maps"}, headers=searcher.bearer)
    assert first.status_code == 200, first.text
    for _ in range(50):  # usage rows are written just after each response
        await asyncio.sleep(0.1)
        second = await content.post(path, json={"query": "maps"}, headers=searcher.bearer)
        if second.status_code != 200:
            break
    assert second.status_code == 403, second.text
    assert second.json()["limit"] == "searches_per_month"
