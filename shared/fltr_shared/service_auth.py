"""Guard for internal endpoints: the caller must present the shared service credential."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from fastapi import Request
from pydantic import SecretStr

from fltr_shared.errors import Unauthorized
from fltr_shared.internal_client import SERVICE_TOKEN_HEADER


def require_service_token(expected: SecretStr) -> Callable[[Request], Awaitable[None]]:
    """A dependency that admits only callers presenting ``expected`` (compared in constant time)."""
    expected_bytes = expected.get_secret_value().encode()

    # async although it awaits nothing: FastAPI runs sync dependencies in a thread pool, a
    # hop that cost more than the check itself on every internal call
    async def guard(request: Request) -> None:
        scheme, _, presented = request.headers.get(SERVICE_TOKEN_HEADER, "").partition(" ")
        valid = scheme.lower() == "bearer" and bool(presented)
        # compare_digest even when the scheme is wrong, so timing says nothing either way
        same = hmac.compare_digest(presented.strip().encode(), expected_bytes)
        if not (valid and same):
            raise Unauthorized(
                "This internal endpoint needs 'Authorization: Bearer <INTERNAL_SERVICE_TOKEN>'.",
                code="invalid_service_token",
                headers={"WWW-Authenticate": "Bearer"},
            )

    return guard
