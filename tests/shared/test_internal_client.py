"""The internal HTTP client: credential and request id sent, safe retries, clear failures.

The peer is a real HTTP server (uvicorn in this event loop) that fails a set number of times.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fltr_shared.errors import UpstreamUnavailable
from fltr_shared.internal_client import SERVICE_TOKEN_HEADER, InternalClient
from fltr_shared.request_id import _request_id
from tests.support import free_port, serve_in_loop, silent_socket_server

pytestmark = pytest.mark.core

TOKEN = SecretStr("service-secret")


class FlakyPeer:
    """An HTTP peer that answers ``status`` ``failures`` times, then 200 echoing the request."""

    def __init__(self, failures: int, status: int = 503) -> None:
        self.failures = failures
        self.status = status
        self.requests: list[dict[str, object]] = []

    async def __call__(self, request: Request) -> JSONResponse:
        self.requests.append(
            {
                "headers": dict(request.headers),
                "query": list(request.query_params.multi_items()),
                "body": await request.body(),
            }
        )
        if len(self.requests) <= self.failures:
            return JSONResponse({"error": "service_unavailable"}, status_code=self.status)
        return JSONResponse({"ok": True}, headers={"Idempotent-Replayed": "false"})


@asynccontextmanager
async def client_for(peer: FlakyPeer, retries: int = 2) -> AsyncIterator[InternalClient]:
    async def endpoint(request: Request) -> JSONResponse:
        return await peer(request)

    app = Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST", "DELETE"])])
    async with serve_in_loop(app) as url:
        client = InternalClient(url, peer="peer", service_token=TOKEN, retries=retries)
        try:
            yield client
        finally:
            await client.aclose()


async def test_sends_service_token_and_request_id() -> None:
    peer = FlakyPeer(failures=0)
    token = _request_id.set("req-42")
    try:
        async with client_for(peer) as client:
            response = await client.request(
                "GET", "/x", params={"since": None, "kind": ["a", "b"], "all": True}
            )
    finally:
        _request_id.reset(token)
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert response.headers["idempotent-replayed"] == "false"
    sent = peer.requests[0]
    headers = sent["headers"]
    assert isinstance(headers, dict)
    assert headers[SERVICE_TOKEN_HEADER.lower()] == "Bearer service-secret"
    assert headers["x-request-id"] == "req-42"
    # None left out, lists repeated, booleans as JSON spells them
    assert sent["query"] == [("kind", "a"), ("kind", "b"), ("all", "true")]


async def test_idempotent_request_is_retried_until_success() -> None:
    peer = FlakyPeer(failures=2)
    async with client_for(peer, retries=2) as client:
        response = await client.request("GET", "/x")
    assert response.status_code == 200
    assert len(peer.requests) == 3


async def test_retries_are_bounded_and_last_answer_returned() -> None:
    peer = FlakyPeer(failures=10)
    async with client_for(peer, retries=2) as client:
        response = await client.request("GET", "/x")
    assert response.status_code == 503
    assert response.json() == {"error": "service_unavailable"}
    assert len(peer.requests) == 3


async def test_post_is_not_repeated_without_idempotency_key() -> None:
    peer = FlakyPeer(failures=1)
    async with client_for(peer) as client:
        response = await client.request("POST", "/charge", json={"amount": 1})
    assert response.status_code == 503
    assert len(peer.requests) == 1
    keyed = FlakyPeer(failures=1)
    async with client_for(keyed) as client:
        response = await client.request(
            "POST", "/charge", json={"amount": 1}, headers={"Idempotency-Key": "k1"}
        )
    assert response.status_code == 200
    assert len(keyed.requests) == 2
    assert {r["headers"]["idempotency-key"] for r in keyed.requests} == {"k1"}  # type: ignore[index]
    assert {r["body"] for r in keyed.requests} == {b'{"amount": 1}'}


async def test_unreachable_peer_is_upstream_unavailable() -> None:
    client = InternalClient(
        f"http://127.0.0.1:{free_port()}", peer="auth", service_token=TOKEN, retries=1
    )
    with pytest.raises(UpstreamUnavailable, match="auth service did not answer") as info:
        await client.request("GET", "/internal/v1/ping")
    await client.aclose()
    assert info.value.status_code == 503
    assert info.value.code == "upstream_unavailable"


async def test_silent_peer_times_out_instead_of_hanging() -> None:
    with silent_socket_server() as url:
        client = InternalClient(url, peer="auth", service_token=TOKEN, timeout=0.3, retries=0)
        start = time.monotonic()
        with pytest.raises(UpstreamUnavailable):
            await client.request("GET", "/internal/v1/ping")
        await client.aclose()
    # bounded by the timeout, not by the peer; generous margin for a loaded machine
    assert time.monotonic() - start < 5


def test_negative_retries_are_refused() -> None:
    with pytest.raises(ValueError, match="retries"):
        InternalClient("http://x", peer="x", service_token=TOKEN, retries=-1)
