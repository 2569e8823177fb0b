"""What the search and MCP endpoints take from the app: the engine parts and a caller whose
call is recorded in ``api_usage``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from fltr_content.callers.deps import CallerDep
from fltr_content.callers.resolver import Caller
from fltr_content.search.access import TargetCache
from fltr_content.search.service import Engine
from fltr_content.settings import ContentSettings
from fltr_content.usage.recorder import track


async def engine_of(request: Request) -> Engine:
    state = request.app.state
    settings: ContentSettings = state.settings
    targets: TargetCache | None = getattr(state, "search_targets", None)
    if targets is None:
        # built on first use, so the app factory needs no change for it
        targets = state.search_targets = TargetCache(settings.search_access_cache_seconds)
    return Engine(
        chunks=state.chunks,
        embedder=state.embedder,
        charges=state.charges,
        auth=state.auth_client,
        price=settings.search_price_credits,
        reranker=getattr(state, "reranker", None),
        targets=targets,
        limits=getattr(state, "plan_limits", None),
        deferred=getattr(state, "deferred_charges", None),
    )


def _route_path(request: Request) -> str:
    route = request.scope.get("route")
    return str(getattr(route, "path", request.url.path))


async def _recorded_caller(request: Request, caller: CallerDep) -> Caller:
    track(request, _route_path(request)).caller = caller
    return caller


EngineDep = Annotated[Engine, Depends(engine_of)]
RecordedCallerDep = Annotated[Caller, Depends(_recorded_caller)]
