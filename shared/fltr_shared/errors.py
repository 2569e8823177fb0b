"""The one error tree of FLTR. Every 4xx/5xx body is ``{"error": code, "detail": message}``.

Hierarchy::

    AppError                    -- base; carries status_code and a stable code
      ├── BadRequest              400 bad_request
      ├── Unauthorized            401 unauthorized
      ├── Forbidden               403 forbidden
      ├── NotFound                404 not_found
      ├── MethodNotAllowed        405 method_not_allowed
      ├── Conflict                409 conflict
      ├── PayloadTooLarge         413 payload_too_large
      ├── ValidationFailed        422 validation_error (with field errors)
      ├── RateLimited             429 rate_limited
      ├── InternalError           500 internal_error (never carries the cause's text)
      └── ServiceUnavailable      503 service_unavailable
            └── UpstreamUnavailable   503 upstream_unavailable (another FLTR service or a
                                      dependency did not answer)

Services raise these (or subclasses with their own ``code``); they never raise
``HTTPException``. The handlers in :mod:`fltr_shared.error_handlers` render them.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AppError",
    "BadRequest",
    "Conflict",
    "FieldError",
    "Forbidden",
    "InternalError",
    "MethodNotAllowed",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "ServiceUnavailable",
    "Unauthorized",
    "UpstreamUnavailable",
    "ValidationFailed",
]

FieldError = dict[str, Any]


class AppError(Exception):
    """Base of every error FLTR answers with on purpose.

    ``code`` is stable and machine-readable; ``detail`` is for people. ``headers`` are added
    to the response (``Retry-After``, ``WWW-Authenticate``).
    """

    status_code: ClassVar[int] = 500
    default_code: ClassVar[str] = "internal_error"
    default_detail: ClassVar[str] = "Internal server error."

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.detail = detail or self.default_detail
        self.code = code or self.default_code
        self.headers = headers or {}
        super().__init__(self.detail)

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "detail": self.detail}


class BadRequest(AppError):
    """The request is well-formed but cannot be acted on as it stands."""

    status_code = 400
    default_code = "bad_request"
    default_detail = "Bad request."


class Unauthorized(AppError):
    """No credential, or one that is invalid, expired or revoked."""

    status_code = 401
    default_code = "unauthorized"
    default_detail = "Authentication required."


class Forbidden(AppError):
    """The caller is known but may not do this."""

    status_code = 403
    default_code = "forbidden"
    default_detail = "You do not have access to this resource."


class NotFound(AppError):
    """No such resource (or the caller may not know it exists)."""

    status_code = 404
    default_code = "not_found"
    default_detail = "Not found."


class MethodNotAllowed(AppError):
    """The path exists but not with this HTTP method."""

    status_code = 405
    default_code = "method_not_allowed"
    default_detail = "Method not allowed."


class Conflict(AppError):
    """The request conflicts with the current state (duplicate, stale version)."""

    status_code = 409
    default_code = "conflict"
    default_detail = "Conflict."


class PayloadTooLarge(AppError):
    """The body (or one file in it) is over a documented limit."""

    status_code = 413
    default_code = "payload_too_large"
    default_detail = "Payload too large."


class ValidationFailed(AppError):
    """The input does not match the schema; ``fields`` says where and why."""

    status_code = 422
    default_code = "validation_error"
    default_detail = "The request is not valid."

    def __init__(
        self,
        detail: str | None = None,
        *,
        fields: list[FieldError] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(detail, code=code)
        self.fields = fields or []

    def body(self) -> dict[str, Any]:
        return {**super().body(), "fields": self.fields}


class RateLimited(AppError):
    """Too many requests; ``Retry-After`` says when to come back."""

    status_code = 429
    default_code = "rate_limited"
    default_detail = "Too many requests."


class InternalError(AppError):
    """Something failed that the caller cannot fix. Never carries the cause's text."""

    status_code = 500
    default_code = "internal_error"
    default_detail = "Internal server error."


class ServiceUnavailable(AppError):
    """FLTR cannot serve this now (a part is down or switched off)."""

    status_code = 503
    default_code = "service_unavailable"
    default_detail = "Service unavailable."


class UpstreamUnavailable(ServiceUnavailable):
    """Another FLTR service or a dependency did not answer in time."""

    default_code = "upstream_unavailable"
    default_detail = "A service this request depends on is unavailable."
