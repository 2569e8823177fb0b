"""``symmetricEncrypt`` / ``symmetricDecrypt`` from ``better-auth/crypto`` 1.7.25.

With a string key (a plain ``BETTER_AUTH_SECRET``) Better Auth computes
``key = SHA-256(utf8(secret))`` and returns
``hex(nonce24 || XChaCha20-Poly1305(key, nonce24, utf8(data)))`` (``@noble/ciphers``'
``managedNonce(xchacha20poly1305)``: random 24-byte nonce first, 16-byte tag last, no AAD).
Decryption decodes the plaintext with ``new TextDecoder()``, which drops a leading BOM and
replaces invalid UTF-8 with U+FFFD; that is reproduced here.

When secrets rotate (``secrets`` option / ``BETTER_AUTH_SECRETS="2:new,1:old"``) the key is a
config object instead: encryption writes ``$ba$<version>$<hex>`` with the current version's
secret; decryption picks the secret by version and falls back to the legacy
``BETTER_AUTH_SECRET`` for bare hex. ``SecretConfig`` is that object.

The jwt plugin encrypts JWK private keys with this (see ``jwt_keys``); other callers in
Better Auth (OAuth tokens, two-factor secrets) use purpose-derived keys on top of it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from nacl.bindings import (
    crypto_aead_xchacha20poly1305_ietf_ABYTES,
    crypto_aead_xchacha20poly1305_ietf_decrypt,
    crypto_aead_xchacha20poly1305_ietf_encrypt,
    crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
)
from nacl.exceptions import CryptoError

from ._js import js_utf8

NONCE_BYTES: int = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES  # 24
TAG_BYTES: int = crypto_aead_xchacha20poly1305_ietf_ABYTES  # 16
ENVELOPE_PREFIX = "$ba$"

_HEX = re.compile(r"(?:[0-9a-fA-F]{2})*")
_ENVELOPE = re.compile(r"\$ba\$(\d+)\$(.*)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class SecretConfig:
    """Better Auth's rotating-secrets key: ``{keys, currentVersion, legacySecret}``."""

    keys: Mapping[int, str] = field(default_factory=dict)
    current_version: int = 0
    legacy_secret: str | None = None


def _key(secret: str) -> bytes:
    if not isinstance(secret, str) or not secret:
        raise ValueError("the encryption secret must be a non-empty string")
    return hashlib.sha256(js_utf8(secret)).digest()


def _encrypt_with_nonce(secret: str, data: str, nonce: bytes) -> str:
    sealed = crypto_aead_xchacha20poly1305_ietf_encrypt(js_utf8(data), None, nonce, _key(secret))
    return (nonce + sealed).hex()


def _raw_encrypt(secret: str, data: str) -> str:
    if not isinstance(data, str):
        raise ValueError("data to encrypt must be a string")
    return _encrypt_with_nonce(secret, data, secrets.token_bytes(NONCE_BYTES))


def _raw_decrypt(secret: str, data: str) -> str:
    key = _key(secret)
    # Only plain hex, as @noble's hexToBytes accepts (bytes.fromhex would also take spaces).
    if not isinstance(data, str) or not _HEX.fullmatch(data):
        raise ValueError("ciphertext must be an even-length hex string")
    raw = bytes.fromhex(data)
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise ValueError("ciphertext is too short")
    try:
        plain = crypto_aead_xchacha20poly1305_ietf_decrypt(
            raw[NONCE_BYTES:], None, raw[:NONCE_BYTES], key
        )
    except CryptoError as exc:
        raise ValueError("ciphertext does not decrypt with this secret") from exc
    # TextDecoder's defaults: strip one leading BOM, replace invalid sequences.
    return plain.decode("utf-8-sig", errors="replace")


def symmetric_encrypt(key: str | SecretConfig, data: str) -> str:
    """Encrypt ``data`` as Better Auth's ``symmetricEncrypt({key, data})`` does."""
    if isinstance(key, SecretConfig):
        secret = key.keys.get(key.current_version)
        if not secret:
            raise ValueError(f"secret version {key.current_version} not found in keys")
        return f"{ENVELOPE_PREFIX}{key.current_version}${_raw_encrypt(secret, data)}"
    return _raw_encrypt(key, data)


def symmetric_decrypt(key: str | SecretConfig, data: str) -> str:
    """Decrypt what ``symmetricEncrypt`` produced; ``ValueError`` if it cannot."""
    if not isinstance(key, SecretConfig):
        return _raw_decrypt(key, data)
    if not isinstance(data, str):
        raise ValueError("ciphertext must be a string")
    envelope = _ENVELOPE.fullmatch(data)
    if envelope:
        version = int(envelope.group(1))
        secret = key.keys.get(version)
        if not secret:
            raise ValueError(f"secret version {version} not found in keys (retired?)")
        return _raw_decrypt(secret, envelope.group(2))
    if key.legacy_secret:
        return _raw_decrypt(key.legacy_secret, data)
    raise ValueError("bare-hex ciphertext needs the legacy secret (BETTER_AUTH_SECRET)")
