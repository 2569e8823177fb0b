"""Trusted origins, as Better Auth enforces them: redirect targets (callbackURL, redirectTo)
must be relative paths or on a trusted origin, and cookie-authenticated changes must come
from a trusted ``Origin``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request

from fltr_auth.errors import AuthForbidden
from fltr_auth.sessions.transport import has_session_cookie
from fltr_auth.settings import AuthSettings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def is_trusted_redirect(url: str, settings: AuthSettings) -> bool:
    if url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return True
    origin = origin_of(url)
    return origin is not None and origin in {o.lower() for o in settings.all_trusted_origins}


def check_redirect(url: str | None, settings: AuthSettings) -> None:
    if url and not is_trusted_redirect(url, settings):
        raise AuthForbidden("INVALID_CALLBACK_URL")


def check_request_origin(request: Request, settings: AuthSettings) -> None:
    """Refuse a cookie-authenticated state change from an untrusted page (CSRF).

    Requests without the session cookie (bearer tokens, servers) are not at risk and pass.
    """
    if request.method in SAFE_METHODS or not has_session_cookie(request):
        return
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        raise AuthForbidden("MISSING_OR_NULL_ORIGIN")
    if origin_of(origin) not in {o.lower() for o in settings.all_trusted_origins}:
        raise AuthForbidden("INVALID_ORIGIN")
