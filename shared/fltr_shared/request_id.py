"""``X-Request-ID`` in and out: taken from the caller when sane, made up otherwise.

The id is bound to structlog's context variables, so every log line of the request carries it,
and the internal HTTP client forwards it to the next service.

W3C trace context rides along the same way: an incoming ``traceparent`` (when well formed) keeps
its trace id, otherwise a new trace starts; this service's hop gets its own span id, the
``trace_id`` goes into every log line, the response echoes ``traceparent``, and internal calls
forward it. This is propagation only: no spans are recorded or exported (no OpenTelemetry SDK),
but logs of both services join on ``trace_id`` and a tracing proxy or mesh can pick it up.
"""

from __future__ import annotations

import re
import secrets
import uuid
from contextvars import ContextVar

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
# Ids from callers end up in logs and headers: allow only a short, plain alphabet.
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

_request_id: ContextVar[str | None] = ContextVar("fltr_request_id", default=None)

TRACEPARENT_HEADER = "traceparent"
# version-trace_id-parent_id-flags; a future version may append fields after a dash.
_TRACEPARENT = re.compile(
    r"^(?P<version>[0-9a-f]{2})-(?P<trace_id>[0-9a-f]{32})-(?P<parent_id>[0-9a-f]{16})"
    r"-(?P<flags>[0-9a-f]{2})(?P<rest>-.*)?$"
)
_traceparent: ContextVar[str | None] = ContextVar("fltr_traceparent", default=None)


def parse_traceparent(value: str) -> tuple[str, str] | None:
    """``(trace_id, flags)`` of a valid W3C ``traceparent``, else None (then a new trace)."""
    match = _TRACEPARENT.match(value.strip())
    if match is None:
        return None
    version, trace_id, parent_id = match["version"], match["trace_id"], match["parent_id"]
    if version == "ff" or (version == "00" and match["rest"]):
        return None
    if trace_id == "0" * 32 or parent_id == "0" * 16:
        return None
    return trace_id, match["flags"]


def make_traceparent(trace_id: str, flags: str = "01") -> str:
    """A traceparent for this hop: the caller's trace, a fresh span id."""
    return f"00-{trace_id}-{secrets.token_hex(8)}-{flags}"


def current_traceparent() -> str | None:
    """The traceparent of this service's hop in the request being served, if any."""
    return _traceparent.get()


def current_request_id() -> str | None:
    """The id of the request being served, if any."""
    return _request_id.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Pure ASGI middleware (no BaseHTTPMiddleware, so streaming and contextvars work)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        incoming_trace = None
        for name, value in scope["headers"]:
            if name == b"x-request-id" and incoming is None:
                incoming = value.decode("latin-1")
            elif name == b"traceparent" and incoming_trace is None:
                incoming_trace = value.decode("latin-1")
        request_id = incoming if incoming and _VALID_ID.match(incoming) else new_request_id()
        parsed = parse_traceparent(incoming_trace) if incoming_trace else None
        trace_id, flags = parsed or (secrets.token_hex(16), "01")
        traceparent = make_traceparent(trace_id, flags)
        token = _request_id.set(request_id)
        trace_token = _traceparent.set(traceparent)
        structlog.contextvars.bind_contextvars(request_id=request_id, trace_id=trace_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                headers[TRACEPARENT_HEADER] = traceparent
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            structlog.contextvars.unbind_contextvars("request_id", "trace_id")
            _traceparent.reset(trace_token)
            _request_id.reset(token)
