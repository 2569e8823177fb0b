"""Telling credential shapes apart, the same way in both services."""

from __future__ import annotations


def looks_like_jwt(value: str) -> bool:
    """A compact JWS (``header.payload.signature`` with a JSON header), not a session token."""
    return value.count(".") == 2 and value.startswith("eyJ")
