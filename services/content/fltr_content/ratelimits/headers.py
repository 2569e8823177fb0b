"""Put the caller's ``RateLimit-*`` headers on every response of an authenticated request,
whatever produced it (the endpoint, an error handler, a later 404), by reading the window the
caller dependency left in the request's state."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fltr_shared.rate_limit import WindowState

STATE_KEY = "fltr_rate_limit_window"


def remember_window(request: Request, window: WindowState) -> None:
    setattr(request.state, STATE_KEY, window)


class RateLimitHeadersMiddleware:
    """Pure ASGI middleware (streaming and context variables keep working)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Created here, so the request's ``state`` is this very dict even if an inner layer
        # copies the scope.
        state: dict[str, Any] = scope.setdefault("state", {})

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                window = state.get(STATE_KEY)
                if isinstance(window, WindowState):
                    headers = MutableHeaders(scope=message)
                    for name, value in window.headers().items():
                        if name not in headers:
                            headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
