"""Every error FLTR answers is {"error", "detail"} JSON, never a traceback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field

from fltr_shared.app_factory import install_common
from fltr_shared.errors import Conflict, RateLimited, ValidationFailed
from fltr_shared.pagination import MAX_OFFSET, Page, PageParamsDep

pytestmark = pytest.mark.core


class Widget(BaseModel):
    name: str = Field(min_length=1, max_length=20)
    size: int = Field(ge=1)


def build_app() -> FastAPI:
    app = FastAPI()
    install_common(app, service="test")

    @app.post("/widgets", status_code=201)
    async def create_widget(widget: Widget) -> Widget:
        if widget.name == "taken":
            raise Conflict("A widget with this name exists.", code="widget_exists")
        if widget.name == "invalid":
            raise ValidationFailed("Name rejected.", fields=[{"loc": ["body", "name"]}])
        return widget

    @app.get("/widgets")
    async def list_widgets(page: PageParamsDep) -> Page[Widget]:
        items = [Widget(name=f"w{i}", size=i + 1) for i in range(page.offset, 5)][: page.limit]
        return Page.build(items, total=5, params=page)

    @app.get("/slow-down")
    async def slow_down() -> None:
        raise RateLimited("Wait a bit.", headers={"Retry-After": "7"})

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("database password is hunter2")

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def test_unknown_route_is_404_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/nope")
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "not_found"
    assert "/nope" in body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]


async def test_wrong_method_is_405_json(client: httpx.AsyncClient) -> None:
    response = await client.delete("/widgets")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"
    assert "allow" in response.headers


async def test_malformed_json_is_422_with_field_errors(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/widgets", content=b'{"name": "a", "size": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    assert body["fields"], body
    assert body["fields"][0]["type"] == "json_invalid"


async def test_invalid_fields_are_listed_without_echoing_input(client: httpx.AsyncClient) -> None:
    response = await client.post("/widgets", json={"name": "", "size": 0, "secret": "s3cr3t"})
    assert response.status_code == 422
    body = response.json()
    locs = sorted(tuple(f["loc"]) for f in body["fields"])
    assert locs == [("body", "name"), ("body", "size")]
    assert "s3cr3t" not in response.text


async def test_app_errors_keep_their_code_and_headers(client: httpx.AsyncClient) -> None:
    response = await client.post("/widgets", json={"name": "taken", "size": 1})
    assert response.status_code == 409
    assert response.json()["error"] == "widget_exists"
    limited = await client.get("/slow-down")
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "7"
    assert limited.json() == {
        "error": "rate_limited",
        "detail": "Wait a bit.",
        "request_id": limited.headers["x-request-id"],
    }
    invalid = await client.post("/widgets", json={"name": "invalid", "size": 1})
    assert invalid.status_code == 422
    assert invalid.json()["fields"] == [{"loc": ["body", "name"]}]


async def test_crash_is_500_without_traceback_or_cause(client: httpx.AsyncClient) -> None:
    response = await client.get("/boom", headers={"X-Request-ID": "crash-1"})
    assert response.status_code == 500
    assert response.json() == {
        "error": "internal_error",
        "detail": "Internal server error.",
        "request_id": "crash-1",
    }
    assert "Traceback" not in response.text
    assert "hunter2" not in response.text
    assert response.headers["x-request-id"] == "crash-1"


async def test_request_id_is_echoed_or_replaced_when_unsafe(client: httpx.AsyncClient) -> None:
    kept = await client.get("/nope", headers={"X-Request-ID": "abc-123"})
    assert kept.headers["x-request-id"] == "abc-123"
    replaced = await client.get("/nope", headers={"X-Request-ID": "bad id\twith spaces"})
    assert replaced.headers["x-request-id"] != "bad id\twith spaces"
    assert len(replaced.headers["x-request-id"]) == 32
    fresh = await client.get("/nope")
    assert fresh.headers["x-request-id"] != replaced.headers["x-request-id"]


async def test_pagination_envelope_and_limits(client: httpx.AsyncClient) -> None:
    page = (await client.get("/widgets", params={"limit": 2, "offset": 1})).json()
    assert [w["name"] for w in page["items"]] == ["w1", "w2"]
    assert page["total"] == 5
    assert page["has_more"] is True
    last = (await client.get("/widgets", params={"limit": 2, "offset": 4})).json()
    assert last["has_more"] is False
    too_big = await client.get("/widgets", params={"limit": 101})
    assert too_big.status_code == 422
    assert too_big.json()["fields"][0]["loc"] == ["query", "limit"]


async def test_metrics_are_labelled_by_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/widgets")
    await client.get("/nope/123")
    text = (await client.get("/metrics")).text
    assert 'route="/widgets",service="test",status="200"' in text
    assert 'route="<unmatched>",service="test",status="404"' in text
    assert "/nope/123" not in text
    assert "fltr_http_request_duration_seconds_bucket" in text


async def test_an_offset_past_the_documented_maximum_is_422() -> None:
    """A fuzzer's offset of 10**30 once reached PostgreSQL as an out-of-range bigint (500)."""
    app = FastAPI()
    install_common(app, service="test")

    @app.get("/items")
    async def items(page: PageParamsDep) -> Page[int]:
        return Page.build([], 0, page)

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t.test"
    ) as client:
        ok = await client.get("/items", params={"offset": MAX_OFFSET})
        huge = await client.get("/items", params={"offset": 452496823742107686411754799104})
    assert ok.status_code == 200
    assert huge.status_code == 422
    assert huge.json()["error"] == "validation_error"
