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
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass
from typing import Any, Literal

import jwt
from cachetools import TTLCache

from fltr_content.auth_client import AuthServiceClient

SESSION_COOKIES = ("__Secure-better-auth.session_token", "better-auth.session_token")
JWT_ALGORITHMS = ["EdDSA", "ES256", "RS256", "PS256", "ES512"]


@dataclass(frozen=True)
class Caller:
    user_id: str
    email: str
    name: str
    role: str
    email_verified: bool
    credential: Literal["session", "jwt", "api_key"]

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


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
    ) -> None:
        self._auth = auth
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
    return Caller(
        user_id=user["id"],
        email=user["email"],
        name=user["name"],
        role=user["role"],
        email_verified=user["email_verified"],
        credential=credential,
    )


def looks_like_jwt(value: str) -> bool:
    return value.count(".") == 2 and value.startswith("eyJ")
