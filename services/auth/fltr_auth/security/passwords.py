"""Password hashes as Better Auth 1.7.25 writes them to ``accounts.password``.

``@better-auth/utils/password`` (Node build, used by ``better-auth/crypto``'s
``hashPassword``/``verifyPassword``):

- ``generateKey(password, salt)`` = ``scrypt(password.normalize("NFKC"), salt, 64,
  {N: 16384, r: 16, p: 1, maxmem: 128 * N * r * 2})``, where both strings become UTF-8;
- ``hashPassword`` = ``salt + ":" + hex(key)`` with ``salt = randomBytes(16).toString("hex")``:
  the scrypt salt is the 32-character hex *string*, not the 16 bytes behind it;
- ``verifyPassword`` splits the stored value on ``":"``, takes the first two parts (throwing
  when either is empty) and compares the lowercase hex of the derived key.

Sign-up and password changes reject passwords whose JavaScript ``length`` (UTF-16 code units)
is outside ``minPasswordLength`` (8) .. ``maxPasswordLength`` (128); see ``password_length``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import unicodedata

from ._js import js_length, js_utf8

SCRYPT_N = 16384
SCRYPT_R = 16
SCRYPT_P = 1
SCRYPT_DKLEN = 64
# Node's limit for these parameters. scrypt needs 128*N*r = 32 MiB plus a little, just over
# OpenSSL's default cap, so hashlib.scrypt fails without an explicit maxmem.
SCRYPT_MAXMEM = 128 * SCRYPT_N * SCRYPT_R * 2
SALT_BYTES = 16

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128


def password_length(password: str) -> int:
    """The length Better Auth checks against the limits: JS ``password.length``.

    An emoji counts as 2, so a Python ``len`` check would accept passwords Better Auth refuses.
    """
    return js_length(password)


def _derive_key(password: str, salt: str) -> bytes:
    normalized = unicodedata.normalize("NFKC", password)
    return hashlib.scrypt(
        js_utf8(normalized),
        salt=js_utf8(salt),
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        maxmem=SCRYPT_MAXMEM,
        dklen=SCRYPT_DKLEN,
    )


def _hash_with_salt(password: str, salt: str) -> str:
    return f"{salt}:{_derive_key(password, salt).hex()}"


def hash_password(password: str) -> str:
    """``<32 hex salt>:<128 hex key>``, verifiable by Better Auth's ``verifyPassword``."""
    return _hash_with_salt(password, secrets.token_hex(SALT_BYTES))


def verify_password(password: str, stored: str) -> bool:
    """Check ``password`` against a stored hash in constant time.

    Accepts whatever Better Auth accepts (it reads only the first two ``":"``-separated parts);
    a malformed or non-string stored value is ``False``, never an exception.
    """
    if not isinstance(password, str) or not isinstance(stored, str):
        return False
    parts = stored.split(":")
    salt = parts[0]
    key = parts[1] if len(parts) > 1 else ""
    if not salt or not key:
        return False
    try:
        derived = _derive_key(password, salt)
    except (ValueError, MemoryError):  # pragma: no cover - fixed parameters always fit
        return False
    # Better Auth compares hex strings with ===; compare_digest on bytes gives the same
    # answer without leaking how many leading characters matched.
    return hmac.compare_digest(derived.hex().encode("ascii"), js_utf8(key))


async def hash_password_async(password: str) -> str:
    """``hash_password`` in a worker thread: scrypt takes ~50 ms and 32 MiB."""
    return await asyncio.to_thread(hash_password, password)


async def verify_password_async(password: str, stored: str) -> bool:
    """``verify_password`` in a worker thread, keeping the event loop free."""
    return await asyncio.to_thread(verify_password, password, stored)
