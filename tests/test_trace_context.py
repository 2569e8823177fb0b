"""W3C trace context across the content -> auth hop (propagation, not an OTel exporter)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from fltr_shared.request_id import parse_traceparent

pytestmark = pytest.mark.core

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
INCOMING = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.events: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, dict):
            self.events.append(dict(record.msg))


@contextmanager
def access_log() -> Iterator[list[dict[str, Any]]]:
    """The structured access-log events of every app in this process, while in the block."""
    logger = logging.getLogger("fltr.access")
    handler = _Records()
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield handler.events
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def pings_in(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The auth side's access lines for the ping (it logs right after answering: wait a bit)."""
    for _ in range(100):
        pings = [e for e in events if e.get("route") == "/internal/v1/ping"]
        if pings:
            return pings
        await asyncio.sleep(0.01)
    return []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (INCOMING, (TRACE_ID, "01")),
        (f"00-{TRACE_ID}-00f067aa0ba902b7-00", (TRACE_ID, "00")),
        (f"01-{TRACE_ID}-00f067aa0ba902b7-01-future", (TRACE_ID, "01")),
        (f"00-{TRACE_ID}-00f067aa0ba902b7-01-extra", None),  # version 00 has 4 fields
        (f"ff-{TRACE_ID}-00f067aa0ba902b7-01", None),
        (f"00-{'0' * 32}-00f067aa0ba902b7-01", None),
        (f"00-{TRACE_ID}-{'0' * 16}-01", None),
        (f"00-{TRACE_ID.upper()}-00f067aa0ba902b7-01", None),
        ("00-abc-def-01", None),
        ("garbage", None),
    ],
)
def test_traceparent_validation(value: str, expected: tuple[str, str] | None) -> None:
    assert parse_traceparent(value) == expected


async def test_a_service_keeps_the_callers_trace_and_starts_its_own_span(
    auth_client: httpx.AsyncClient,
) -> None:
    response = await auth_client.get("/health/live", headers={"traceparent": INCOMING})
    echoed = response.headers["traceparent"]
    version, trace_id, span_id, flags = echoed.split("-")
    assert (version, trace_id, flags) == ("00", TRACE_ID, "01")
    assert span_id != "00f067aa0ba902b7"


async def test_a_malformed_traceparent_starts_a_new_trace(auth_client: httpx.AsyncClient) -> None:
    bad = await auth_client.get("/health/live", headers={"traceparent": "00-nope-nope-01"})
    fresh = await auth_client.get("/health/live")
    for response in (bad, fresh):
        parsed = parse_traceparent(response.headers["traceparent"])
        assert parsed is not None
        assert parsed[0] != TRACE_ID
    assert bad.headers["traceparent"] != fresh.headers["traceparent"]


async def test_content_to_auth_calls_carry_the_same_trace_id(
    content_client: httpx.AsyncClient,
) -> None:
    # /health pings the auth service over real HTTP through the internal client
    with access_log() as events:
        response = await content_client.get(
            "/health", headers={"traceparent": INCOMING, "X-Request-ID": "trace-hop-1"}
        )
        pings = await pings_in(events)
    assert response.status_code == 200, response.text
    assert response.headers["traceparent"].split("-")[1] == TRACE_ID
    assert pings, events
    assert pings[-1]["trace_id"] == TRACE_ID
    assert pings[-1]["request_id"] == "trace-hop-1"
    content_line = next(e for e in events if e.get("route") == "/health")
    assert content_line["trace_id"] == TRACE_ID


async def test_without_a_caller_trace_content_starts_one_and_auth_joins_it(
    content_client: httpx.AsyncClient,
) -> None:
    with access_log() as events:
        response = await content_client.get("/health")
        pings = await pings_in(events)
    trace_id = response.headers["traceparent"].split("-")[1]
    assert pings
    assert pings[-1]["trace_id"] == trace_id
