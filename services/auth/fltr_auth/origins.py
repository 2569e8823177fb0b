"""Trusted origins, as Better Auth enforces them: redirect targets (callbackURL, redirectTo)
must be relative paths or on a trusted origin, and cookie-authenticated changes must come
from a trusted ``Origin``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request

from fltr_auth.errors import AuthForbidden
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


def check_redirect(
    url: str | None, settings: AuthSettings, code: str = "INVALID_CALLBACK_URL"
) -> None:
    if url and not is_trusted_redirect(url, settings):
        raise AuthForbidden(code)


def absolute(url: str, settings: AuthSettings) -> str:
    """A relative redirect made absolute on the auth service's base URL, as Better Auth does."""
    return settings.base_origin + url if url.startswith("/") else url


SIGN_IN_PATHS = ("/api/auth/sign-in/", "/api/auth/sign-up/")


def check_request_origin(request: Request, settings: AuthSettings) -> None:
    """Refuse a state change a foreign page could have made, as Better Auth 1.7 does (CSRF).

    - A non-GET request carrying any cookie needs an ``Origin`` (or ``Referer``) that is
      trusted: 403 ``INVALID_ORIGIN``, or ``MISSING_OR_NULL_ORIGIN`` when there is none.
    - Without cookies (bearer tokens, servers) nothing is at risk, except that sign-in and
      sign-up also refuse an untrusted ``Origin`` whenever one is sent.
    """
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin") or request.headers.get("referer")
    trusted = {o.lower() for o in settings.all_trusted_origins}
    if request.headers.get("cookie"):
        if not origin or origin == "null":
            raise AuthForbidden("MISSING_OR_NULL_ORIGIN")
        if origin_of(origin) not in trusted:
            raise AuthForbidden("INVALID_ORIGIN")
    elif origin and request.url.path.startswith(SIGN_IN_PATHS) and origin_of(origin) not in trusted:
        raise AuthForbidden("INVALID_ORIGIN")
