"""The internal HTTP client: credential and request id sent, safe retries, clear failures."""

from __future__ import annotations

import time

import httpx
import pytest
from pydantic import SecretStr

from fltr_shared.errors import UpstreamUnavailable
from fltr_shared.internal_client import SERVICE_TOKEN_HEADER, InternalClient
from fltr_shared.request_id import _request_id
from tests.support import free_port, silent_socket_server

pytestmark = pytest.mark.core

TOKEN = SecretStr("service-secret")


class FlakyPeer:
    """An HTTP peer (transport level) that fails ``failures`` times with ``status``, then 200."""

    def __init__(self, failures: int, status: int = 503) -> None:
        self.failures = failures
        self.status = status
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if len(self.requests) <= self.failures:
            return httpx.Response(self.status, json={"error": "service_unavailable"})
        return httpx.Response(200, json={"ok": True})


def client_for(peer: FlakyPeer, retries: int = 2) -> InternalClient:
    return InternalClient(
        "http://peer.test",
        peer="peer",
        service_token=TOKEN,
        retries=retries,
        transport=httpx.MockTransport(peer),
    )


async def test_sends_service_token_and_request_id() -> None:
    peer = FlakyPeer(failures=0)
    client = client_for(peer)
    token = _request_id.set("req-42")
    try:
        await client.request("GET", "/x")
    finally:
        _request_id.reset(token)
        await client.aclose()
    sent = peer.requests[0]
    assert sent.headers[SERVICE_TOKEN_HEADER] == "Bearer service-secret"
    assert sent.headers["x-request-id"] == "req-42"


async def test_idempotent_request_is_retried_until_success() -> None:
    peer = FlakyPeer(failures=2)
    client = client_for(peer, retries=2)
    response = await client.request("GET", "/x")
    await client.aclose()
    assert response.status_code == 200
    assert len(peer.requests) == 3


async def test_retries_are_bounded_and_last_answer_returned() -> None:
    peer = FlakyPeer(failures=10)
    client = client_for(peer, retries=2)
    response = await client.request("GET", "/x")
    await client.aclose()
    assert response.status_code == 503
    assert len(peer.requests) == 3


async def test_post_is_not_repeated_without_idempotency_key() -> None:
    peer = FlakyPeer(failures=1)
    client = client_for(peer)
    response = await client.request("POST", "/charge", json={"amount": 1})
    assert response.status_code == 503
    assert len(peer.requests) == 1
    keyed = FlakyPeer(failures=1)
    client2 = client_for(keyed)
    response = await client2.request(
        "POST", "/charge", json={"amount": 1}, headers={"Idempotency-Key": "k1"}
    )
    await client.aclose()
    await client2.aclose()
    assert response.status_code == 200
    assert len(keyed.requests) == 2
    assert {r.headers["idempotency-key"] for r in keyed.requests} == {"k1"}


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
