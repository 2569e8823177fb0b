"""Row ids of the fltr database: random, URL-safe, unguessable.

Mixed-case ids (32 characters of ``[A-Za-z0-9]``) for most rows; lowercase ones (24 of
``[a-z0-9]``) where the id becomes part of a Milvus collection name, a chunk id or a filter.
"""

from __future__ import annotations

import secrets
import string

_MIXED = string.ascii_letters + string.digits
_LOWER = string.ascii_lowercase + string.digits


def mixed_case_id(length: int = 32) -> str:
    return "".join(secrets.choice(_MIXED) for _ in range(length))


def lowercase_id(length: int = 24) -> str:
    return "".join(secrets.choice(_LOWER) for _ in range(length))
