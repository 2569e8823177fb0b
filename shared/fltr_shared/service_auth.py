"""Guard for internal endpoints: the caller must present the shared service credential."""

from __future__ import annotations

import hmac
from collections.abc import Callable

from fastapi import Request
from pydantic import SecretStr

from fltr_shared.errors import Unauthorized
from fltr_shared.internal_client import SERVICE_TOKEN_HEADER


def require_service_token(expected: SecretStr) -> Callable[[Request], None]:
    """A dependency that admits only callers presenting ``expected`` (compared in constant time)."""
    expected_bytes = expected.get_secret_value().encode()

    def guard(request: Request) -> None:
        presented = request.headers.get(SERVICE_TOKEN_HEADER, "")
        if not presented or not hmac.compare_digest(presented.encode(), expected_bytes):
            raise Unauthorized(
                f"This internal endpoint needs a valid {SERVICE_TOKEN_HEADER} header.",
                code="invalid_service_token",
            )

    return guard
