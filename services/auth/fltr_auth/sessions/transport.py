"""How a session token travels: Better Auth's signed cookie, bearer header, set-auth-token.

Read: the session cookie (with or without the ``__Secure-`` prefix), else
``Authorization: Bearer`` with the signed value (plain or URL-encoded) or the raw token, as
Better Auth's bearer plugin accepts. Write: the signed cookie with Better Auth's attributes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from starlette.requests import Request
from starlette.responses import Response

from fltr_auth.security import cookies

Source = Literal["cookie", "bearer"]
TOKEN_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
MAX_TOKEN_LENGTH = 512


@dataclass(frozen=True)
class PresentedToken:
    token: str
    source: Source
    dont_remember: bool = False


def _is_raw_token(value: str) -> bool:
    return 0 < len(value) <= MAX_TOKEN_LENGTH and set(value) <= TOKEN_ALPHABET


def token_from_value(value: str, secret: str) -> str | None:
    """A session token from a signed value (``token.sig``, maybe URL-encoded) or a raw token."""
    if len(value) > MAX_TOKEN_LENGTH * 2:
        return None
    unsigned = cookies.verify_signed_value(value, secret)
    if unsigned is not None:
        return unsigned
    return value if _is_raw_token(value) else None


def read_token(request: Request, secret: str) -> PresentedToken | None:
    for name in (cookies.SECURE_PREFIX + cookies.SESSION_COOKIE, cookies.SESSION_COOKIE):
        raw = request.cookies.get(name)
        if raw:
            token = cookies.verify_signed_value(raw, secret)
            if token is not None:
                return PresentedToken(token, "cookie", _dont_remember(request, secret))
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        token = token_from_value(value.strip(), secret)
        if token is not None:
            return PresentedToken(token, "bearer")
    return None


def _dont_remember(request: Request, secret: str) -> bool:
    for name in (
        cookies.SECURE_PREFIX + cookies.DONT_REMEMBER_COOKIE,
        cookies.DONT_REMEMBER_COOKIE,
    ):
        raw = request.cookies.get(name)
        if raw and cookies.verify_signed_value(raw, secret) == "true":
            return True
    return False


def _name(base: str, secure: bool) -> str:
    return cookies.SECURE_PREFIX + base if secure else base


def set_session_cookie(
    response: Response,
    token: str,
    secret: str,
    *,
    secure: bool,
    max_age: int,
    remember: bool = True,
) -> None:
    """Set-Cookie exactly as Better Auth writes it, plus the bearer plugin's header."""
    signed = cookies.sign_cookie_value(token, secret)
    response.set_cookie(
        _name(cookies.SESSION_COOKIE, secure),
        cookies.encode_cookie_value(signed),
        max_age=max_age if remember else None,
        path="/",
        secure=secure,
        httponly=True,
        samesite="lax",
    )
    if not remember:
        response.set_cookie(
            _name(cookies.DONT_REMEMBER_COOKIE, secure),
            cookies.encode_cookie_value(cookies.sign_cookie_value("true", secret)),
            path="/",
            secure=secure,
            httponly=True,
            samesite="lax",
        )
    response.headers["set-auth-token"] = signed
    response.headers["Access-Control-Expose-Headers"] = "set-auth-token"


def clear_session_cookies(response: Response, *, secure: bool) -> None:
    """The three clearing cookies Better Auth sends on sign-out and for an expired session."""
    for base in (cookies.SESSION_COOKIE, cookies.SESSION_DATA_COOKIE, cookies.DONT_REMEMBER_COOKIE):
        response.set_cookie(
            _name(base, secure),
            "",
            max_age=0,
            path="/",
            secure=secure,
            httponly=True,
            samesite="lax",
        )
