"""The internal API (content -> auth, /internal/v1) from both sides.

Provider: the content service's real client (``AuthServiceClient``) calls the real auth app
through a recording proxy on real HTTP; every answer must be one the auth service's OpenAPI
document declares for that operation (status and body schema), and every internal path the
client uses must have been exercised.

Consumer: a real HTTP server answers the same client with each error the auth document
declares for the operations it calls (the document's own example bodies); the client must
turn each one into what the content service expects (None, a pass-through, or a 503).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fltr_content import auth_client as auth_client_module
from fltr_content.auth_client import AuthServiceClient
from fltr_shared.errors import UpstreamUnavailable
from fltr_shared.internal_client import InternalClient
from tests.auth.helpers import PASSWORD, unique_email
from tests.contracts.openapi_rules import operations
from tests.support import TEST_SERVICE_TOKEN, serve_in_loop

CLIENT_SOURCE = Path(auth_client_module.__file__).read_text("utf-8")


@dataclass
class Exchange:
    method: str
    path: str
    status: int
    body: Any


def _template_regex(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")


def _operation(doc: dict[str, Any], method: str, path: str) -> tuple[str, dict[str, Any]]:
    for template, verb, op in operations(doc):
        if verb == method.lower() and _template_regex(template).match(path):
            return template, op
    raise AssertionError(f"{method} {path} is not in the auth service's document")


def _validate(doc: dict[str, Any], schema: dict[str, Any], body: Any) -> None:
    # the operation's schema with the document's components beside it, so $refs resolve
    jsonschema.Draft202012Validator({**schema, "components": doc["components"]}).validate(body)


def _internal_client(url: str) -> AuthServiceClient:
    return AuthServiceClient(
        InternalClient(
            url, peer="auth", service_token=SecretStr(TEST_SERVICE_TOKEN), timeout=10, retries=0
        )
    )


# ---- provider side


@pytest.fixture
async def recorded(auth_app: FastAPI) -> AsyncIterator[tuple[str, list[Exchange]]]:
    """A recording proxy in front of the real auth app, on real HTTP."""
    exchanges: list[Exchange] = []
    upstream = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=auth_app), base_url="http://auth.test"
    )

    async def forward(request: Request) -> Response:
        answer = await upstream.request(
            request.method,
            request.url.path,
            params=request.query_params,
            content=await request.body(),
            headers={k: v for k, v in request.headers.items() if k.lower() != "host"},
        )
        body = answer.json() if answer.content else None
        exchanges.append(Exchange(request.method, request.url.path, answer.status_code, body))
        return Response(answer.content, answer.status_code, headers=dict(answer.headers))

    proxy = Starlette(routes=[Route("/{path:path}", forward, methods=["GET", "POST", "PUT"])])
    async with upstream, serve_in_loop(proxy) as url:
        yield url, exchanges


async def _user(auth_app: FastAPI) -> tuple[str, str, str]:
    """A committed user with a session token and an API key: (user id, token, key)."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=auth_app), base_url="http://auth.test"
    ) as client:
        signed = await client.post(
            "/api/auth/sign-up/email",
            json={"email": unique_email("contract"), "password": PASSWORD, "name": "Contract"},
        )
        assert signed.status_code == 200, signed.text
        token = signed.headers["set-auth-token"]
        client.cookies.clear()
        key = await client.post(
            "/api/v1/api-keys",
            json={"name": "contract", "scopes": ["read"]},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert key.status_code == 201, key.text
        return signed.json()["user"]["id"], token, key.json()["key"]


async def test_the_auth_service_answers_the_content_client_as_documented(
    auth_app: FastAPI, recorded: tuple[str, list[Exchange]]
) -> None:
    url, exchanges = recorded
    user_id, token, key = await _user(auth_app)
    client = _internal_client(url)
    payer = {"user_id": user_id}
    try:
        await client.ping(timeout=10)
        session = await client.validate_session(token)
        assert session is not None
        assert await client.validate_session("not-a-session") is None
        verified = await client.verify_api_key(key)
        assert verified is not None
        assert await client.verify_api_key("fltr_not_a_key") is None
        assert (await client.credits_read("balance", payer))[0] == 200
        assert (await client.credits_read("transactions", payer))[0] == 200
        too_much = {"amount": 10**9, "operation": "search", **payer}
        status, _ = await client.credits_write(
            "deduct", {**too_much, "idempotency_key": uuid.uuid4().hex}
        )
        assert status == 402
        status, hold = await client.credits_write(
            "holds",
            {
                "amount": 1,
                "operation": "search",
                **payer,
                "idempotency_key": "h1" + uuid.uuid4().hex,
            },
        )
        if status == 201:  # a user with credits: capture and release the hold
            captured = {"amount": 1, "idempotency_key": uuid.uuid4().hex}
            await client.credits_write(f"holds/{hold['id']}/capture", captured)
            await client.credits_write(
                f"holds/{hold['id']}/release", {"idempotency_key": uuid.uuid4().hex}
            )
        missing = "00000000-0000-4000-8000-000000000000"
        status, _ = await client.credits_write(
            f"holds/{missing}/capture", {"amount": 1, "idempotency_key": uuid.uuid4().hex}
        )
        assert status == 404
        status, _ = await client.credits_write(
            f"holds/{missing}/release", {"idempotency_key": uuid.uuid4().hex}
        )
        assert status == 404
        assert await client.team_role("team-that-does-not-exist", user_id) is None
        assert await client.user_teams(user_id) == {}
        profiles = await client.profiles([user_id], [])
        assert [p["id"] for p in profiles] == [user_id]
        entitlement = {
            "user_id": user_id,
            "dataset_id": "ds_contract",
            "owner_id": user_id,
            "visibility": "public",
            "pricing_model": "free",
        }
        assert await client.check_entitlement(entitlement) is True
        assert isinstance(await client.plan_limits("user", user_id), dict)
        checkout = {
            "user_id": user_id,
            "dataset_id": "ds",
            "dataset_slug": "ds",
            "owner_id": "someone-else",
            "owner_type": "user",
            "price_cents": 100,
            "pricing_model": "one_time",
            "interval": "month",
        }
        status, body = await client.dataset_checkout(checkout)
        assert status in (422, 503), body  # billing is off in the tests
    finally:
        await client.aclose()

    doc = auth_app.openapi()
    used: set[str] = set()
    for exchange in exchanges:
        template, op = _operation(doc, exchange.method, exchange.path)
        used.add(template)
        answer = op["responses"].get(str(exchange.status))
        assert answer is not None, (
            f"{exchange.method} {exchange.path} answered {exchange.status}, which its "
            f"operation does not declare ({sorted(op['responses'])})"
        )
        schema = answer.get("content", {}).get("application/json", {}).get("schema")
        if exchange.body is not None:
            assert schema, f"{exchange.method} {template} {exchange.status}: no schema"
            _validate(doc, schema, exchange.body)
    # every internal path the content client names was exercised above
    named = {m.group(0) for m in re.finditer(r"/internal/v1/[a-z-]+", CLIENT_SOURCE)}
    assert named, "found no /internal/v1 path in fltr_content.auth_client"
    for prefix in named:
        assert any(template.startswith(prefix) for template in used), f"{prefix} not exercised"
    assert len(exchanges) >= 16


# ---- consumer side


@dataclass
class Case:
    method: str
    template: str
    call: Callable[[AuthServiceClient], Awaitable[Any]]
    # what the content service must make of an error status: "none" (an anonymous caller),
    # "pass" (the status and body handed on) or "unavailable" (UpstreamUnavailable)
    expect: Callable[[int], str]


def _credential_check(status: int) -> str:
    return "none" if status in (401, 422) else "unavailable"


def _pass_4xx(status: int) -> str:
    return "pass" if status < 500 else "unavailable"


def _checkout(status: int) -> str:
    return "pass" if status < 500 or status == 503 else "unavailable"


def _never(status: int) -> str:
    return "unavailable"


CASES = [
    Case(
        "post",
        "/internal/v1/sessions/validate",
        lambda c: c.validate_session("t"),
        _credential_check,
    ),
    Case(
        "post",
        "/internal/v1/api-keys/verify",
        lambda c: c.verify_api_key("fltr_x"),
        _credential_check,
    ),
    Case(
        "get",
        "/internal/v1/credits/balance",
        lambda c: c.credits_read("balance", {"user_id": "u"}),
        _pass_4xx,
    ),
    Case(
        "get",
        "/internal/v1/credits/transactions",
        lambda c: c.credits_read("transactions", {"user_id": "u"}),
        _pass_4xx,
    ),
    Case(
        "post",
        "/internal/v1/credits/deduct",
        lambda c: c.credits_write("deduct", {"amount": 1}),
        _pass_4xx,
    ),
    Case(
        "post",
        "/internal/v1/credits/holds",
        lambda c: c.credits_write("holds", {"amount": 1}),
        _pass_4xx,
    ),
    Case(
        "post",
        "/internal/v1/credits/holds/{hold_id}/capture",
        lambda c: c.credits_write("holds/h/capture", {}),
        _pass_4xx,
    ),
    Case(
        "post",
        "/internal/v1/credits/holds/{hold_id}/release",
        lambda c: c.credits_write("holds/h/release", {}),
        _pass_4xx,
    ),
    Case(
        "get",
        "/internal/v1/teams/{team_id}/members/{user_id}",
        lambda c: c.team_role("t", "u"),
        _never,
    ),
    Case("get", "/internal/v1/users/{user_id}/teams", lambda c: c.user_teams("u"), _never),
    Case("post", "/internal/v1/profiles", lambda c: c.profiles(["u"], []), _never),
    Case(
        "post",
        "/internal/v1/entitlements/check",
        lambda c: c.entitlement({"dataset_id": "d"}),
        _never,
    ),
    Case("get", "/internal/v1/billing/limits", lambda c: c.plan_limits("user", "u"), _never),
    Case(
        "post", "/internal/v1/billing/dataset-checkout", lambda c: c.dataset_checkout({}), _checkout
    ),
]


def _declared_errors(doc: dict[str, Any], case: Case) -> list[tuple[int, dict[str, Any]]]:
    op = doc["paths"][case.template][case.method]
    found = []
    for status, answer in sorted(op["responses"].items()):
        if status[0] in "45":
            media = answer["content"]["application/json"]
            example = media.get("example") or next(iter(media["examples"].values()))["value"]
            found.append((int(status), example))
    return found


async def test_the_content_client_handles_every_documented_error(auth_app: FastAPI) -> None:
    doc = auth_app.openapi()
    answer: dict[str, Any] = {}

    async def respond(request: Request) -> Response:
        return JSONResponse(answer["body"], status_code=answer["status"])

    stub = Starlette(routes=[Route("/{path:path}", respond, methods=["GET", "POST", "PUT"])])
    checked: set[int] = set()
    async with serve_in_loop(stub) as url:
        client = _internal_client(url)
        try:
            for case in CASES:
                errors = _declared_errors(doc, case)
                assert errors, f"{case.template}: the auth document declares no error"
                for status, body in errors:
                    _validate(doc, {"$ref": "#/components/schemas/ErrorBody"}, body)
                    answer.update(status=status, body=body)
                    expected = case.expect(status)
                    where = f"{case.method.upper()} {case.template} -> {status}"
                    if expected == "unavailable":
                        with pytest.raises(UpstreamUnavailable):
                            await case.call(client)
                    elif expected == "none":
                        assert await case.call(client) is None, where
                    else:
                        got_status, got_body = await case.call(client)
                        assert (got_status, got_body) == (status, body), where
                    checked.add(status)
            # the service credential refused is an outage, never an anonymous caller
            answer.update(status=401, body={"error": "invalid_service_token", "detail": "x"})
            with pytest.raises(UpstreamUnavailable):
                await client.validate_session("t")
            with pytest.raises(UpstreamUnavailable):
                await client.verify_api_key("fltr_x")
        finally:
            await client.aclose()
    assert {401, 402, 404, 409, 422, 500, 503} <= checked
