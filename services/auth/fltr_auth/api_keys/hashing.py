"""API key secrets: how they are made, shown and stored.

A key is ``fltr_`` followed by 43 characters drawn with :mod:`secrets` from ``[A-Za-z0-9]``
(about 256 bits, and one double-click selects it whole). Such a key cannot be guessed, so a
fast keyed hash is enough to store it (no password hashing): HMAC-SHA256 under
``API_KEY_HASH_SECRET``, hex, in ``api_keys.key_hash``. A key is found by looking its hash up
in the unique index, so no secret is ever compared in Python. Without the HMAC secret a
leaked table cannot even be used to test guesses offline.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from fltr_auth.security.ids import generate_token

KEY_PREFIX = "fltr_"
SECRET_LENGTH = 43
DISPLAY_PREFIX_LENGTH = 12  # "fltr_" + 7 characters, shown in lists
_KEY_SHAPE = re.compile(r"^fltr_[A-Za-z0-9]{40,128}$")


def generate_key() -> str:
    return KEY_PREFIX + generate_token(SECRET_LENGTH)


def display_prefix(key: str) -> str:
    return key[:DISPLAY_PREFIX_LENGTH]


def looks_like_key(value: str) -> bool:
    """Whether ``value`` has the shape of a FLTR key (checked before any database work)."""
    return _KEY_SHAPE.fullmatch(value) is not None


def hash_key(key: str, secret: str) -> str:
    return hmac.new(secret.encode(), key.encode(), hashlib.sha256).hexdigest()
