"""JWTs as Better Auth's jwt plugin issues them: EdDSA, ``kid`` = the jwks row id, the user
as claims, ``sub``/``iss``/``aud``, 15-minute expiry; keys encrypted at rest with the secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt as pyjwt
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.jwt import repository
from fltr_auth.jwt.models import Jwk
from fltr_auth.security import ids, jwt_keys
from fltr_auth.users.models import User
from fltr_auth.users.schemas import UserOut
from fltr_shared.db import utcnow

# Better Auth keeps an expired key in the JWKS this long, so tokens it signed still verify.
EXPIRED_KEY_GRACE = timedelta(days=30)
ALGORITHM = "EdDSA"


@dataclass(frozen=True)
class JwtConfig:
    secret: str
    issuer: str
    audience: str
    expires_in: timedelta


class InvalidJwt(Exception):
    """The token is not a JWT this service issued, or it has expired."""


async def _signing_key(db: AsyncSession, secret: str) -> tuple[Jwk, dict[str, Any]]:
    row = await repository.newest_usable(db, utcnow())
    if row is None:
        public, private = jwt_keys.generate_key_pair(ALGORITHM)
        row = Jwk(
            id=ids.generate_id(),  # the kid
            public_key=jwt_keys.serialize_public_key(public),
            private_key=jwt_keys.encrypt_private_key(private, secret),
            created_at=utcnow(),
            alg=ALGORITHM,
            crv="Ed25519",
        )
        await repository.add(db, row)
        return row, private
    return row, jwt_keys.decrypt_private_key(row.private_key, secret)


def claims_for(user: User) -> dict[str, Any]:
    return UserOut.model_validate(user).model_dump(mode="json", by_alias=True)


async def issue(db: AsyncSession, config: JwtConfig, user: User) -> str:
    row, private = await _signing_key(db, config.secret)
    payload = jwt_keys.jwt_claims(
        claims_for(user),
        issuer=config.issuer,
        audience=config.audience,
        expires_in=int(config.expires_in.total_seconds()),
    )
    token: str = jwt_keys.sign_jwt(private, row.id, payload, ALGORITHM)
    return token


async def jwks(db: AsyncSession) -> dict[str, Any]:
    rows = await repository.listed(db, utcnow() - EXPIRED_KEY_GRACE)
    keys: dict[str, Any] = jwt_keys.public_jwks(rows)
    return keys


async def verify(db: AsyncSession, config: JwtConfig, token: str) -> dict[str, Any]:
    """The claims of a valid token signed by one of our keys, or :class:`InvalidJwt`."""
    try:
        header = pyjwt.get_unverified_header(token)
    except pyjwt.PyJWTError as exc:
        raise InvalidJwt("not a JWT") from exc
    kid = header.get("kid")
    if not isinstance(kid, str) or len(kid) > 128:
        raise InvalidJwt("no usable kid")
    row = await repository.get(db, kid)
    if row is None:
        raise InvalidJwt("unknown key")
    if row.expires_at is not None and row.expires_at + EXPIRED_KEY_GRACE < utcnow():
        raise InvalidJwt("retired key")
    key = pyjwt.PyJWK.from_dict(json.loads(row.public_key), algorithm=row.alg or ALGORITHM)
    try:
        claims: dict[str, Any] = pyjwt.decode(
            token,
            key,
            algorithms=[row.alg or ALGORITHM],
            audience=config.audience,
            issuer=config.issuer,
            options={"require": ["exp", "iat", "sub"]},
        )
    except pyjwt.PyJWTError as exc:
        raise InvalidJwt(str(exc)) from exc
    return claims
