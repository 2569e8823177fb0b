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


async def _optional_caller(request: Request) -> Caller | None:
    caller = await _resolve(request)
    if caller is not None:
        limits: CallerRateLimits = request.app.state.rate_limits
        window = await limits.enforce(caller)
        if window is not None:
            remember_window(request, window)
    return caller


OptionalCallerDep = Annotated[Caller | None, Depends(_optional_caller)]


async def _caller(caller: OptionalCallerDep) -> Caller:
    if caller is None:
        raise Unauthorized(
            "Sign in (session cookie or bearer token), or send a valid JWT or API key.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return caller


CallerDep = Annotated[Caller, Depends(_caller)]
