"""``CallerDep`` / ``OptionalCallerDep``: the user behind a request's cookie, bearer or JWT."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from fltr_content.callers.resolver import (
    SESSION_COOKIES,
    Caller,
    CallerResolver,
    looks_like_jwt,
)
from fltr_shared.errors import Unauthorized


def _resolver(request: Request) -> CallerResolver:
    resolver: CallerResolver = request.app.state.callers
    return resolver


async def _optional_caller(request: Request) -> Caller | None:
    resolver = _resolver(request)
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        if looks_like_jwt(value):
            return await resolver.from_jwt(value)
        return await resolver.from_session_value(value)
    for name in SESSION_COOKIES:
        cookie = request.cookies.get(name)
        if cookie:
            return await resolver.from_session_value(cookie)
    return None


OptionalCallerDep = Annotated[Caller | None, Depends(_optional_caller)]


async def _caller(caller: OptionalCallerDep) -> Caller:
    if caller is None:
        raise Unauthorized(
            "Sign in (session cookie or bearer token) or send a valid JWT.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return caller


CallerDep = Annotated[Caller, Depends(_caller)]
