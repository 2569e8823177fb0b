"""What the content service's dependencies mean for its OpenAPI document
(fltr_shared.openapi)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI

from fltr_content.callers import deps
from fltr_content.mcp import router as mcp_router
from fltr_shared.openapi import (
    API_KEY,
    API_KEY_HEADER,
    JWT,
    SECURITY_SCHEMES,
    SESSION_BEARER,
    SESSION_COOKIE,
    Security,
    install_openapi,
)

# every credential the caller resolution reads (fltr_content.callers.deps._resolve)
_CALLER = (API_KEY, API_KEY_HEADER, JWT, SESSION_BEARER, SESSION_COOKIE)
# resolving a credential asks the auth service (503 when it is down) and counts the caller
# against its rate limit (429)
_RESOLVED = (401, 429, 503)


def _rules() -> Mapping[Callable[..., Any], Security]:
    return {
        deps._caller: Security(_CALLER, errors=_RESOLVED),
        deps._optional_caller: Security(_CALLER, optional=True, errors=_RESOLVED),
        # the MCP endpoint: a header credential is required (never a cookie: a browser would
        # attach it to cross-site POSTs); the challenge is its own 401
        mcp_router._mcp_caller: Security(
            (API_KEY, API_KEY_HEADER, JWT, SESSION_BEARER), errors=_RESOLVED
        ),
    }


def document(app: FastAPI) -> None:
    """Install the post-processed /openapi.json."""
    install_openapi(app, schemes={name: SECURITY_SCHEMES[name] for name in _CALLER}, rules=_rules)
