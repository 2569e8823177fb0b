"""Errors of the Better Auth API, in both shapes at once.

Better Auth's client reads ``{"code": "INVALID_EMAIL_OR_PASSWORD", "message": ...}``; FLTR's
contract is ``{"error": ..., "detail": ...}``. Bodies under ``/api/auth`` carry all four keys.
"""

from __future__ import annotations

from typing import Any

from fltr_shared.errors import AppError, BadRequest, Forbidden, NotFound, Unauthorized
from fltr_shared.errors import Conflict as _Conflict

# Better Auth 1.7's codes and messages (its BASE_ERROR_CODES and plugins' codes)
MESSAGES: dict[str, str] = {
    "INVALID_EMAIL": "Invalid email",
    "INVALID_EMAIL_OR_PASSWORD": "Invalid email or password",
    "INVALID_PASSWORD": "Invalid password",
    "PASSWORD_TOO_SHORT": "Password too short",
    "PASSWORD_TOO_LONG": "Password too long",
    "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL": "User already exists. Use another email.",
    "USERNAME_IS_ALREADY_TAKEN": "Username is already taken. Please try another.",
    "USER_NOT_FOUND": "User not found",
    "CREDENTIAL_ACCOUNT_NOT_FOUND": "Credential account not found",
    "INVALID_TOKEN": "Invalid token",
    "TOKEN_EXPIRED": "Token expired",
    "SESSION_EXPIRED": "Session expired. Re-authenticate to perform this action.",
    "EMAIL_NOT_VERIFIED": "Email not verified",
    "EMAIL_ALREADY_VERIFIED": "Email is already verified",
    "PROVIDER_NOT_FOUND": "Provider not found",
    "BANNED_USER": "You have been banned from this application",
    "INVALID_ORIGIN": "Invalid origin",
    "MISSING_OR_NULL_ORIGIN": "Missing or null Origin",
    "INVALID_CALLBACK_URL": "Invalid callbackURL",
    "INVALID_REDIRECT_URL": "Invalid redirectURL",
    "FIELD_NOT_ALLOWED": "Field not allowed to be set",
    "EMAIL_CAN_NOT_BE_UPDATED": "Email can not be updated",
    "UNAUTHORIZED": "Unauthorized",
    "FORBIDDEN": "Forbidden",
    "TOO_MANY_REQUESTS": "Too many requests. Please try again later.",
}


class _BetterAuthShape(AppError):
    def __init__(self, code: str, message: str | None = None) -> None:
        self.ba_code = code
        super().__init__(message or MESSAGES.get(code, code), code=code.lower())

    def body(self) -> dict[str, Any]:
        return {**super().body(), "code": self.ba_code, "message": self.detail}


class AuthBadRequest(_BetterAuthShape, BadRequest):
    pass


class AuthUnauthorized(_BetterAuthShape, Unauthorized):
    pass


class AuthForbidden(_BetterAuthShape, Forbidden):
    pass


class AuthNotFound(_BetterAuthShape, NotFound):
    pass


class AuthConflict(_BetterAuthShape, _Conflict):
    pass


class AuthUnprocessable(_BetterAuthShape):
    """422, as Better Auth answers a duplicate email (not a schema error: no ``fields``)."""

    status_code = 422
    default_code = "unprocessable_entity"
