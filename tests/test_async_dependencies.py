"""No route of either service runs a plain ``def`` endpoint or dependency.

FastAPI runs each sync endpoint and each sync dependency in its thread pool: a thread hop per
call (and a wait for a free thread under load) for functions that only read ``app.state``.
On the search path there were several; each cost more than the work it did. Blocking work
belongs in an explicit ``asyncio.to_thread`` inside an async function, where it is visible.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from fltr_auth.app import create_app as create_auth_app
from fltr_auth.settings import AuthSettings
from fltr_content.app import create_app as create_content_app
from fltr_content.settings import ContentSettings

pytestmark = pytest.mark.core


def _is_async(call: Any) -> bool:
    if inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call):
        return True
    method = getattr(call, "__call__", None)  # noqa: B004 (security scheme instances)
    return not inspect.isfunction(call) and (
        inspect.iscoroutinefunction(method) or inspect.isasyncgenfunction(method)
    )


def _sync_calls(dependant: Dependant, trail: str) -> Iterator[str]:
    for sub in dependant.dependencies:
        name = getattr(sub.call, "__qualname__", repr(sub.call))
        if sub.call is not None and not _is_async(sub.call):
            yield f"{trail} -> {sub.call.__module__}.{name}"
        yield from _sync_calls(sub, f"{trail} -> {name}")


def _offenders(app: FastAPI) -> list[str]:
    found: list[str] = []
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        label = f"{sorted(route.methods)} {route.path}"
        if not _is_async(route.endpoint):
            found.append(f"{label}: endpoint {route.endpoint.__qualname__}")
        found += list(_sync_calls(route.dependant, label))
    return found


def test_auth_routes_are_async_throughout(auth_settings: AuthSettings) -> None:
    app = create_auth_app(auth_settings)
    assert [r for r in app.routes if isinstance(r, APIRoute)], "no routes found"
    assert _offenders(app) == []


def test_content_routes_are_async_throughout(content_settings: ContentSettings) -> None:
    app = create_content_app(content_settings)
    assert [r for r in app.routes if isinstance(r, APIRoute)], "no routes found"
    assert _offenders(app) == []


def test_the_check_finds_a_sync_dependency() -> None:
    from fastapi import Depends

    def plain() -> int:
        return 1

    app = FastAPI()

    @app.get("/x")
    async def endpoint(value: int = Depends(plain)) -> int:
        return value

    assert len(_offenders(app)) == 1
