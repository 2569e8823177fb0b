"""Resolve a request's credential to a user without reading the auth database.

- A JWT (``Authorization: Bearer eyJ...``) is verified here, against the auth service's JWKS
  (PyJWT's ``PyJWKClient``, keys cached for ``JWKS_CACHE_SECONDS``).
  A token that verified is remembered (by its exact bytes) for ``JWT_CACHE_SECONDS``, never
  past its ``exp``: agents reuse one JWT for many calls, and an Ed25519 verification costs
  more than the rest of a small request here.
- A session cookie or bearer session token is sent to the auth service's
  ``/internal/v1/sessions/validate``; positive answers are cached for
  ``SESSION_CACHE_SECONDS`` (5 s by default), so a revoked session can be used for at most
  that long here. Negative answers are never cached.
- An API key (``Authorization: Bearer fltr_...`` or ``X-API-Key: fltr_...``) is sent to
  ``/internal/v1/api-keys/verify``; positive answers are cached (under the key's SHA-256,
  never the key itself) for ``API_KEY_CACHE_SECONDS`` and never past the key's expiry, so a
  revoked key works here for at most that long. Negative answers are never cached.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import jwt
from cachetools import TTLCache

from fltr_content.auth_client import AuthServiceClient

SESSION_COOKIES = ("__Secure-better-auth.session_token", "better-auth.session_token")
API_KEY_PREFIX = "fltr_"
# Scopes are levels; a key never acts above its owner (site-admin rights need role admin).
SCOPE_LEVELS = {"read": 1, "write": 2, "admin": 3}
JWT_ALGORITHMS = ["EdDSA", "ES256", "RS256", "PS256", "ES512"]


@dataclass(frozen=True)
class Caller:
    """Who is calling. For a team's API key (``owner_type == "team"``) the key acts as the
    team: ``user_id`` is the team's id and the user fields are empty."""

    user_id: str
    email: str
    name: str
    role: str
    email_verified: bool
    credential: Literal["session", "jwt", "api_key"]
    owner_type: Literal["user", "team"] = "user"
    api_key_id: str | None = None
    # None: every scope the user has (sessions, JWTs); a key's own scopes otherwise
    scopes: tuple[str, ...] | None = None
    # a key's dataset allowlist (ids or slugs); None: any dataset
    datasets: frozenset[str] | None = None
    # a key's own limit; None: USER_RATE_LIMIT_PER_MINUTE
    rate_limit_per_minute: int | None = None
    spend_cap: int | None = None
    spend_cap_period: str | None = None

    @property
    def is_admin(self) -> bool:
        """Site-admin rights: an admin user, and for a key, only with the admin scope."""
        return self.role == "admin" and self.has_scope("admin")

    def has_scope(self, scope: str) -> bool:
        """Whether the caller may act at ``scope``'s level (read < write < admin)."""
        own = SCOPE_LEVELS["admin"] if self.role == "admin" else SCOPE_LEVELS["write"]
        if self.owner_type == "team":
            own = SCOPE_LEVELS["write"]
        if self.scopes is not None:
            own = min(own, max((SCOPE_LEVELS.get(s, 0) for s in self.scopes), default=0))
        return own >= SCOPE_LEVELS[scope]

    def can_read_dataset(self, dataset_id: str, slug: str | None = None) -> bool:
        """Whether a key's allowlist lets it touch this dataset (by id or slug); always true
        for sessions, JWTs and keys without an allowlist. Visibility and pricing are the
        auth service's entitlement check, not this."""
        if self.datasets is None:
            return True
        return dataset_id in self.datasets or (slug is not None and slug in self.datasets)

    @property
    def rate_limit_scope(self) -> tuple[str, str]:
        """What requests are counted against: the key, else the user."""
        if self.api_key_id is not None:
            return "api_key", self.api_key_id
        return "user", self.user_id


class CallerResolver:
    def __init__(
        self,
        auth: AuthServiceClient,
        *,
        jwks_url: str,
        issuer: str | None,
        session_cache_seconds: float,
        jwks_cache_seconds: int,
        timeout: float,
        jwt_cache_seconds: float = 30.0,
        api_key_cache_seconds: float = 5.0,
    ) -> None:
        self._auth = auth
        self._api_keys: TTLCache[str, tuple[Caller, float]] | None = (
            TTLCache(maxsize=10_000, ttl=api_key_cache_seconds)
            if api_key_cache_seconds > 0
            else None
        )
        self._issuer = issuer
        self._sessions: TTLCache[str, Caller] = TTLCache(maxsize=10_000, ttl=session_cache_seconds)
        self._cache_enabled = session_cache_seconds > 0
        self._jwks = jwt.PyJWKClient(
            jwks_url, cache_jwk_set=True, lifespan=jwks_cache_seconds, timeout=int(max(timeout, 1))
        )
        self._keys: dict[str, jwt.PyJWK] = {}
        self._verified: TTLCache[str, tuple[Caller, float]] | None = (
            TTLCache(maxsize=10_000, ttl=jwt_cache_seconds) if jwt_cache_seconds > 0 else None
        )

    async def from_session_value(self, value: str) -> Caller | None:
        key = hashlib.sha256(value.encode()).hexdigest()
        if self._cache_enabled and (cached := self._sessions.get(key)) is not None:
            return cached
        answer = await self._auth.validate_session(value)
        if answer is None:
            return None
        caller = _caller(answer["user"], answer.get("credential", "session"))
        if self._cache_enabled:
            self._sessions[key] = caller
        return caller

    async def from_api_key(self, key: str) -> Caller | None:
        if not key.startswith(API_KEY_PREFIX):
            return None
        digest = hashlib.sha256(key.encode()).hexdigest()
        if self._api_keys is not None and (hit := self._api_keys.get(digest)) is not None:
            caller, expires = hit
            if expires > time.time():
                return caller
        answer = await self._auth.verify_api_key(key)
        if answer is None:
            return None
        caller = _key_caller(answer)
        if self._api_keys is not None:
            expires_at = answer.get("expires_at")
            expires = datetime.fromisoformat(expires_at).timestamp() if expires_at else float("inf")
            self._api_keys[digest] = (caller, expires)
        return caller

    async def _signing_key(self, token: str) -> jwt.PyJWK:
        kid = jwt.get_unverified_header(token).get("kid")
        if not isinstance(kid, str):
            raise jwt.InvalidTokenError("no kid")
        key = self._keys.get(kid)
        if key is None:
            # PyJWKClient is blocking (urllib); only a cache miss reaches the network.
            key = await asyncio.to_thread(self._jwks.get_signing_key, kid)
            self._keys[kid] = key
        return key

    async def from_jwt(self, token: str) -> Caller | None:
        if self._verified is not None and (hit := self._verified.get(token)) is not None:
            caller, expires = hit
            if expires > time.time():
                return caller
        try:
            key = await self._signing_key(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=JWT_ALGORITHMS,
                issuer=self._issuer,
                audience=self._issuer,
                options={"require": ["exp", "sub"], "verify_aud": self._issuer is not None},
            )
        except (jwt.PyJWTError, jwt.PyJWKClientError):
            return None
        caller = Caller(
            user_id=str(claims["sub"]),
            email=str(claims.get("email", "")),
            name=str(claims.get("name", "")),
            role=str(claims.get("role") or "developer"),
            email_verified=bool(claims.get("emailVerified", False)),
            credential="jwt",
        )
        if self._verified is not None:
            self._verified[token] = (caller, float(claims["exp"]))
        return caller


def _caller(user: dict[str, Any], credential: Literal["session", "jwt"]) -> Caller:
    assert user is not None, "the auth service sends the owner of a user's key"
    return Caller(
        user_id=user["id"],
        email=user["email"],
        name=user["name"],
        role=user["role"],
        email_verified=user["email_verified"],
        credential=credential,
    )


def _key_caller(answer: dict[str, Any]) -> Caller:
    owner = answer["owner"]
    user = answer.get("user")
    datasets = answer.get("datasets")
    common: dict[str, Any] = {
        "credential": "api_key",
        "api_key_id": answer["api_key_id"],
        "scopes": tuple(answer["scopes"]),
        "datasets": frozenset(datasets) if datasets is not None else None,
        "rate_limit_per_minute": answer["rate_limit_per_minute"],
        "spend_cap": answer.get("spend_cap"),
        "spend_cap_period": answer.get("spend_cap_period"),
    }
    if owner["type"] == "team":
        return Caller(
            user_id=owner["id"],
            email="",
            name="",
            role="developer",
            email_verified=False,
            owner_type="team",
            **common,
        )
    assert user is not None, "the auth service sends the owner of a user's key"
    return Caller(
        user_id=user["id"],
        email=user["email"],
        name=user["name"],
        role=user["role"],
        email_verified=user["email_verified"],
        **common,
    )
