"""Signed cookies exactly as Better Auth 1.7.25 (through better-call 1.4.5) writes and reads them.

Writing (``ctx.setSignedCookie`` -> better-call ``serializeSignedCookie``):
``encodeURIComponent(value + "." + btoa(HMAC-SHA256(key=utf8(secret), msg=utf8(value))))``.
The signature is standard base64 *with* ``=`` padding (44 characters); the secret is the raw
``BETTER_AUTH_SECRET`` string (with ``BETTER_AUTH_SECRETS`` rotation: the current secret).
Better Auth signs the session token (``session_token`` cookie) and the literal ``"true"``
(``dont_remember`` cookie, set when "remember me" is off).

Reading (``ctx.getSignedCookie``): the ``Cookie`` header parser strips one pair of double
quotes and ``decodeURIComponent``-s values containing ``%`` (keeping the raw value when that
fails); the value is split at its *last* ``.``; the signed part must be non-empty and the
signature 44 characters ending in ``=``; then the HMAC is checked.

Cookie names are ``<prefix>.<name>`` with prefix ``better-auth``, preceded by ``__Secure-``
when the base URL is https (``advanced.useSecureCookies`` overrides; without a base URL,
``NODE_ENV=production`` decides). Better Auth's ``getSessionCookie`` accepts either form.
Default attributes: ``HttpOnly; SameSite=Lax; Path=/`` (+ ``Secure`` with the prefix); the
session cookie has ``Max-Age=604800`` unless "remember me" is off; ``session_data`` (cookie
cache, off by default) and ``account_data`` have ``Max-Age=300``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

from ._js import decode_uri_component, encode_uri_component, js_utf8

SECURE_PREFIX = "__Secure-"
COOKIE_PREFIX = "better-auth"
SESSION_COOKIE = f"{COOKIE_PREFIX}.session_token"
SESSION_DATA_COOKIE = f"{COOKIE_PREFIX}.session_data"
DONT_REMEMBER_COOKIE = f"{COOKIE_PREFIX}.dont_remember"
ACCOUNT_DATA_COOKIE = f"{COOKIE_PREFIX}.account_data"
#: The value Better Auth signs into the dont_remember cookie.
DONT_REMEMBER_VALUE = "true"

SESSION_MAX_AGE = 604800  # session.expiresIn default: 7 days
COOKIE_CACHE_MAX_AGE = 300  # session.cookieCache.maxAge default
#: len(base64(32-byte HMAC)) with its one "=" of padding; better-call rejects anything else.
SIGNATURE_LENGTH = 44


@dataclass(frozen=True, slots=True)
class CookieNames:
    """The names of Better Auth's cookies for one deployment."""

    session_token: str
    session_data: str
    dont_remember: str
    account_data: str


def cookie_names(secure: bool, prefix: str = COOKIE_PREFIX) -> CookieNames:
    """Cookie names Better Auth uses; ``secure`` when the base URL is https."""
    head = SECURE_PREFIX if secure else ""
    return CookieNames(
        session_token=f"{head}{prefix}.session_token",
        session_data=f"{head}{prefix}.session_data",
        dont_remember=f"{head}{prefix}.dont_remember",
        account_data=f"{head}{prefix}.account_data",
    )


def _hmac(value: str, secret: str) -> bytes:
    if not secret:
        # WebCrypto refuses a zero-length HMAC key, so Better Auth cannot sign with one either.
        raise ValueError("the cookie secret must not be empty")
    return hmac.new(js_utf8(secret), js_utf8(value), hashlib.sha256).digest()


def make_signature(value: str, secret: str) -> str:
    """``makeSignature``: standard, padded base64 of HMAC-SHA256(secret, value)."""
    return base64.b64encode(_hmac(value, secret)).decode("ascii")


def sign_cookie_value(value: str, secret: str) -> str:
    """``value + "." + signature``, before the URL-encoding that goes into ``Set-Cookie``.

    This (not URL-encoded) form is also what the bearer plugin sends in ``set-auth-token``.
    """
    return f"{value}.{make_signature(value, secret)}"


def encode_cookie_value(signed: str) -> str:
    """The ``encodeURIComponent`` better-call applies when serialising the cookie."""
    return encode_uri_component(signed)


def decode_cookie_value(raw: str) -> str:
    """A cookie value as better-call's ``parseCookies`` yields it.

    Strips surrounding whitespace and one pair of double quotes, then percent-decodes when
    there is a ``%``, keeping the raw text if it is not valid percent-encoding (``tryDecode``).
    """
    value = raw.strip()
    if value.startswith('"'):
        value = value[1:-1]
    if "%" not in value:
        return value
    try:
        return decode_uri_component(value)
    except ValueError:
        return value


def verify_signed_value(raw: str, secret: str) -> str | None:
    """The unsigned value of a signed cookie, or ``None`` if it is unsigned or forged.

    ``raw`` may be URL-encoded (as sent in ``Cookie``) or not (a bearer token). The HMAC is
    compared in constant time.
    """
    if not isinstance(raw, str):
        return None
    value = decode_cookie_value(raw)
    if not value:
        return None
    dot = value.rfind(".")
    if dot < 1:
        return None
    signed, signature = value[:dot], value[dot + 1 :]
    if len(signature) != SIGNATURE_LENGTH or not signature.endswith("="):
        return None
    try:
        # better-call atob()s the signature and lets WebCrypto compare the bytes.
        given = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return None
    expected = _hmac(signed, secret)
    return signed if hmac.compare_digest(given, expected) else None
