"""Regressions from schemathesis' status, content-type and schema checks (tests/e2e/test_fuzz.py):
answers the services gave that their documents did not declare, or that were not JSON."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from fltr_shared.openapi import ErrorBody


def _responses(app: FastAPI, method: str, path: str) -> dict[str, Any]:
    responses: dict[str, Any] = app.openapi()["paths"][path][method]["responses"]
    return responses


def test_the_errors_the_fuzzer_met_are_documented(auth_app: FastAPI, content_app: FastAPI) -> None:
    # slug_taken
    assert "409" in _responses(content_app, "post", "/api/v1/datasets")
    assert "409" in _responses(content_app, "patch", "/api/v1/datasets/{slug_or_id}")
    assert "409" not in _responses(content_app, "get", "/api/v1/datasets/{slug_or_id}")
    # invalid_window (since after until)
    assert "400" in _responses(content_app, "get", "/api/v1/usage")
    assert "400" in _responses(content_app, "get", "/api/v1/datasets/{slug_or_id}/usage")
    # invalid_cursor (the catalogue's keyset cursor)
    assert "400" in _responses(content_app, "get", "/api/v1/datasets")
    # a body that cannot be parsed at all, and Better Auth's 400s (INVALID_EMAIL...)
    assert "400" in _responses(auth_app, "post", "/api/auth/sign-in/email")
    assert "400" in _responses(auth_app, "post", "/internal/v1/sessions/validate")
    assert "400" in _responses(content_app, "post", "/api/v1/datasets/{ref}/documents")
    # ingestion refusing a file before any job exists (a PNG: unsupported_type)
    for path in ("/api/v1/datasets/{ref}/documents", "/api/v1/datasets/{ref}/documents:from-url"):
        assert {"413", "415"} <= set(_responses(content_app, "post", path))
    # the MCP endpoint refuses what is not JSON itself
    assert "415" in _responses(content_app, "post", "/mcp/{ref}")


async def test_an_unparseable_body_is_a_documented_400(content_client: httpx.AsyncClient) -> None:
    answer = await content_client.post(
        "/api/v1/datasets",
        content=b'{"name": "\xff\xfe',
        headers={"Authorization": "Bearer fltr_not_a_key", "Content-Type": "application/json"},
    )
    assert answer.status_code in (400, 401, 422)
    ErrorBody.model_validate(answer.json())


async def test_mcp_without_a_json_body_is_a_json_415(content_client: httpx.AsyncClient) -> None:
    """The MCP SDK answered a plain-text 400 'Invalid Content-Type header' (not our error
    shape, not documented); the route now refuses it first with our JSON error."""
    answer = await content_client.post(
        "/mcp/some-dataset",
        content=b"hello",
        headers={"Authorization": "Bearer fltr_not_a_key", "Content-Type": "text/plain"},
    )
    assert answer.status_code == 415, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body = ErrorBody.model_validate(answer.json())
    assert body.error == "unsupported_media_type"
    no_type = await content_client.post(
        "/mcp/some-dataset", content=b"", headers={"X-API-Key": "fltr_not_a_key"}
    )
    assert no_type.status_code == 415, no_type.text
