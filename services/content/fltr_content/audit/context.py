"""Where a change came from: the request's client address, user agent and request id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from fltr_shared.request_id import current_request_id

MAX_USER_AGENT = 500  # seed 004's column width


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None


SYSTEM = RequestContext()  # the purge, the CLI, job runners


async def _context(request: Request) -> RequestContext:
    agent = request.headers.get("user-agent")
    return RequestContext(
        ip=request.client.host if request.client else None,
        user_agent=agent[:MAX_USER_AGENT] if agent else None,
        request_id=current_request_id(),
    )


RequestContextDep = Annotated[RequestContext, Depends(_context)]
