"""Both OpenAPI documents are complete: valid OpenAPI 3.1, every error in the one error schema
with an example, every operation's security declared, every success body described; and what
the documents say about credentials is what the services do."""

from __future__ import annotations

import copy
import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openapi_spec_validator import validate

from fltr_shared.openapi import ErrorBody
from tests.contracts.openapi_rules import (
    error_problems,
    operations,
    security_problems,
    success_problems,
)

# the operations anyone may call without a credential (anything else must declare one)
PUBLIC = {
    "auth": {
        "GET /health/live",
        "GET /health",
        "GET /health/ready",
        "POST /api/auth/sign-up/email",
        "POST /api/auth/sign-in/email",
        "POST /api/auth/send-verification-email",
        "GET /api/auth/verify-email",
        "POST /api/auth/request-password-reset",
        "GET /api/auth/reset-password/{token}",
        "POST /api/auth/reset-password",
        "GET /api/auth/jwks",
        "POST /api/auth/sign-in/social",
        "GET /api/auth/callback/{provider_id}",
        "POST /api/auth/callback/{provider_id}",
        "POST /api/v1/billing/webhooks/stripe",  # Stripe signs it
    },
    "content": {
        "GET /health/live",
        "GET /health",
        "GET /health/ready",
        "GET /api/v1/tags",
        "GET /.well-known/oauth-protected-resource/mcp/{ref}",
    },
}


@pytest.fixture
def docs(auth_app: FastAPI, content_app: FastAPI) -> dict[str, dict[str, Any]]:
    return {"auth": auth_app.openapi(), "content": content_app.openapi()}


@pytest.mark.parametrize("service", ["auth", "content"])
def test_the_document_is_valid_openapi_3_1(docs: dict[str, dict[str, Any]], service: str) -> None:
    doc = docs[service]
    assert doc["openapi"].startswith("3.1")
    validate(doc)


@pytest.mark.parametrize("service", ["auth", "content"])
def test_every_error_is_the_error_schema_with_an_example(
    docs: dict[str, dict[str, Any]], service: str
) -> None:
    assert error_problems(docs[service]) == []


@pytest.mark.parametrize("service", ["auth", "content"])
def test_every_operation_declares_its_security(
    docs: dict[str, dict[str, Any]], service: str
) -> None:
    assert security_problems(docs[service], PUBLIC[service]) == []


@pytest.mark.parametrize("service", ["auth", "content"])
def test_every_success_body_has_a_schema(docs: dict[str, dict[str, Any]], service: str) -> None:
    assert success_problems(docs[service]) == []


def test_the_security_schemes_name_the_real_credentials(docs: dict[str, dict[str, Any]]) -> None:
    auth = docs["auth"]["components"]["securitySchemes"]
    content = docs["content"]["components"]["securitySchemes"]
    assert auth["sessionCookie"] == content["sessionCookie"]
    assert auth["sessionCookie"]["in"] == "cookie"
    assert auth["sessionCookie"]["name"] == "better-auth.session_token"
    assert auth["internalServiceToken"]["scheme"] == "bearer"
    assert content["apiKey"]["bearerFormat"] == "fltr_..."
    assert content["apiKeyHeader"] == {
        **content["apiKeyHeader"],
        "in": "header",
        "name": "X-API-Key",
    }
    assert content["jwt"]["bearerFormat"] == "JWT"
    assert "internalServiceToken" not in content  # the content service has no internal API


def test_the_documents_do_not_change_between_builds(
    docs: dict[str, dict[str, Any]], auth_app: FastAPI, content_app: FastAPI
) -> None:
    """The TypeScript types are generated from them and compared in CI: they must be stable."""
    auth_app.openapi_schema = None
    content_app.openapi_schema = None
    assert auth_app.openapi() == docs["auth"]
    assert content_app.openapi() == docs["content"]


# ---- the checks can fail: each one on a document broken the way it is meant to catch


def _first_operation(doc: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    op: dict[str, Any] = doc["paths"][path][method]
    return op


def test_the_checks_catch_a_broken_document(docs: dict[str, dict[str, Any]]) -> None:
    doc = copy.deepcopy(docs["content"])
    op = _first_operation(doc, "/api/v1/datasets", "post")
    del op["security"]
    op["responses"]["404"]["content"]["application/json"]["schema"] = {"type": "object"}
    del op["responses"]["422"]
    read = _first_operation(doc, "/api/v1/datasets/{slug_or_id}", "get")
    read["security"] = []
    read["responses"]["200"]["content"]["application/json"]["schema"] = {}
    tags = _first_operation(doc, "/api/v1/tags", "get")
    tags["responses"] = {k: v for k, v in tags["responses"].items() if not k.startswith("4")}

    errors = error_problems(doc)
    assert "POST /api/v1/datasets 404: body is not ErrorBody" in errors
    assert "POST /api/v1/datasets: takes input but documents no 422" in errors
    assert "GET /api/v1/tags: no 4xx response" in errors
    security = security_problems(doc, PUBLIC["content"])
    assert "POST /api/v1/datasets: no security declared" in security
    assert (
        "GET /api/v1/datasets/{slug_or_id}: declares no credential but is not a public operation"
        in security
    )
    assert (
        "GET /api/v1/datasets/{slug_or_id} 200 application/json: empty schema"
        in success_problems(doc)
    )


def test_a_route_without_a_credential_dependency_is_documented_public() -> None:
    """The security comes from the dependencies a route runs: one that forgets its caller
    dependency shows up as public, which the public list above then refuses."""
    from fltr_content.api_doc import document

    app = FastAPI()

    @app.get("/api/v1/forgot/{thing}")
    async def forgot(thing: str) -> dict[str, str]:
        return {"thing": thing}

    document(app)
    doc = app.openapi()
    assert _first_operation(doc, "/api/v1/forgot/{thing}", "get")["security"] == []
    assert security_problems(doc, PUBLIC["content"]) == [
        "GET /api/v1/forgot/{thing}: declares no credential but is not a public operation"
    ]


# ---- what the documents say is what the services do


def _sample(schema: dict[str, Any]) -> str:
    if schema.get("type") == "integer":
        return "1"
    if schema.get("format") == "uuid":
        return "00000000-0000-4000-8000-000000000000"
    return "sample"


def _url(path: str, op: dict[str, Any]) -> str:
    params = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "path"}
    return re.sub(r"\{([^}]+)\}", lambda m: _sample(params[m.group(1)]["schema"]), path)


def _needs_credential(op: dict[str, Any]) -> bool:
    return bool(op["security"]) and {} not in op["security"]


async def _assert_refused(client: httpx.AsyncClient, doc: dict[str, Any]) -> int:
    checked = 0
    for path, method, op in operations(doc):
        if not _needs_credential(op):
            continue
        answer = await client.request(method.upper(), _url(path, op))
        if answer.status_code == 503 and answer.json()["error"] == "billing_disabled":
            assert "503" in op["responses"]  # billing's switch comes first (Stripe is off)
            continue
        assert answer.status_code == 401, (method, path, answer.status_code, answer.text)
        ErrorBody.model_validate(answer.json())
        checked += 1
    return checked


async def test_operations_that_need_a_credential_refuse_anonymous_callers(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, docs: dict[str, Any]
) -> None:
    assert await _assert_refused(auth_client, docs["auth"]) > 60
    assert await _assert_refused(content_client, docs["content"]) > 30


async def test_operations_open_to_anonymous_callers_refuse_a_bad_credential(
    content_client: httpx.AsyncClient, docs: dict[str, Any]
) -> None:
    """Optional-credential content operations: anonymous is fine, a bad key is a 401 (as
    documented), never an anonymous answer."""
    checked = 0
    for path, method, op in operations(docs["content"]):
        if {} not in op["security"]:
            continue
        answer = await content_client.request(
            method.upper(), _url(path, op), headers={"Authorization": "Bearer fltr_not_a_key"}
        )
        assert answer.status_code == 401, (method, path, answer.status_code, answer.text)
        assert "401" in op["responses"]
        checked += 1
    assert checked >= 8
