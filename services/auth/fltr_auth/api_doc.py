"""What the auth service's dependencies mean for its OpenAPI document (fltr_shared.openapi)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI

from fltr_auth import deps
from fltr_shared.openapi import (
    INTERNAL_SERVICE_TOKEN,
    SECURITY_SCHEMES,
    SESSION_BEARER,
    SESSION_COOKIE,
    Security,
    install_openapi,
)

_SESSION = (SESSION_COOKIE, SESSION_BEARER)


def document(app: FastAPI) -> None:
    """Install the post-processed /openapi.json; call once every router is included."""

    def rules() -> Mapping[Callable[..., Any], Security]:
        return {
            deps._required_session: Security(_SESSION, errors=(401,)),
            # get-session, sign-out: a session when there is one, an anonymous answer if not
            deps._optional_session: Security(_SESSION, optional=True),
            deps.origin_guard: Security(errors=(403,)),  # INVALID_ORIGIN on cookie changes
            deps._rate_limiter: Security(errors=(429,)),
            app.state.service_token_guard: Security((INTERNAL_SERVICE_TOKEN,), errors=(401,)),
        }

    names = (SESSION_COOKIE, SESSION_BEARER, INTERNAL_SERVICE_TOKEN)
    install_openapi(app, schemes={name: SECURITY_SCHEMES[name] for name in names}, rules=rules)
