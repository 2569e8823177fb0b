"""``CallerDep`` / ``OptionalCallerDep``: the user behind a request's cookie, bearer, JWT or
API key (``Authorization: Bearer fltr_...`` or ``X-API-Key: fltr_...``).

Every request with a valid credential is counted against its rate limit here (see
``fltr_content.ratelimits``): 429 when over it, ``RateLimit-*`` headers on every answer.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from fltr_content.callers.resolver import (
    API_KEY_PREFIX,
    SESSION_COOKIES,
    Caller,
    CallerResolver,
)
from fltr_content.ratelimits.headers import remember_window
from fltr_content.ratelimits.limiter import CallerRateLimits
from fltr_shared.errors import Unauthorized
from fltr_shared.tokens import looks_like_jwt


def _resolver(request: Request) -> CallerResolver:
    resolver: CallerResolver = request.app.state.callers
    return resolver


async def _resolve(request: Request) -> Caller | None:
    resolver = _resolver(request)
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        if value.startswith(API_KEY_PREFIX):
            return await resolver.from_api_key(value)
        if looks_like_jwt(value):
            return await resolver.from_jwt(value)
        return await resolver.from_session_value(value)
    api_key = request.headers.get("x-api-key", "").strip()
    if api_key:
        return await resolver.from_api_key(api_key)
    for name in SESSION_COOKIES:
        cookie = request.cookies.get(name)
        if cookie:
            return await resolver.from_session_value(cookie)
    return None


def _sent_credential(request: Request) -> bool:
    """Whether the request names a credential in a header (bearer token, JWT or API key)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    bearer = scheme.lower() == "bearer" and bool(value.strip())
    return bearer or bool(request.headers.get("x-api-key", "").strip())


async def _lenient_caller(request: Request) -> Caller | None:
    """The caller, or None when there is none or it is not valid (the MCP endpoint answers
    that itself, with its own challenge)."""
    caller = await _resolve(request)
    if caller is not None:
        limits: CallerRateLimits = request.app.state.rate_limits
        window = await limits.enforce(caller)
        if window is not None:
            remember_window(request, window)
    return caller


async def _optional_caller(request: Request) -> Caller | None:
    caller = await _lenient_caller(request)
    if caller is None and _sent_credential(request):
        # a revoked key, an expired or ended session, a banned user: telling the client
        # beats answering as if it were anonymous (a private dataset would look deleted).
        # A stale cookie alone stays anonymous: browsers send it to public pages unasked.
        raise Unauthorized(
            "The credential sent is not valid (unknown, expired or revoked).",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return caller


OptionalCallerDep = Annotated[Caller | None, Depends(_optional_caller)]
LenientCallerDep = Annotated[Caller | None, Depends(_lenient_caller)]


async def _caller(caller: OptionalCallerDep) -> Caller:
    if caller is None:
        raise Unauthorized(
            "Sign in (session cookie or bearer token), or send a valid JWT or API key.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return caller


CallerDep = Annotated[Caller, Depends(_caller)]
