"""Random ids and tokens the way Better Auth 1.7.25 makes them.

``@better-auth/core``'s ``generateId(size = 32)`` draws ``size`` characters from
``[a-zA-Z0-9]`` with rejection sampling over ``crypto.getRandomValues``; it is used for row
ids (users, sessions, accounts, verifications, jwks) and for session tokens
(``internalAdapter.createSession`` stores ``generateId(32)`` in ``session.token``).
``secrets.choice`` gives the same uniform distribution from the OS CSPRNG.
"""

from __future__ import annotations

import secrets
import string

#: The alphabet of ``createRandomStringGenerator("a-z", "A-Z", "0-9")``.
ID_ALPHABET = string.ascii_lowercase + string.ascii_uppercase + string.digits
#: Better Auth's default id and session-token length.
ID_LENGTH = 32


def generate_token(length: int = ID_LENGTH) -> str:
    """Return ``length`` uniformly random characters from ``[a-zA-Z0-9]``."""
    if length <= 0:
        # Better Auth's generator throws "Length must be a positive integer." too.
        raise ValueError("length must be a positive integer")
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(length))


def generate_id() -> str:
    """Return a 32-character row id, as Better Auth's default ``generateId``."""
    return generate_token(ID_LENGTH)
