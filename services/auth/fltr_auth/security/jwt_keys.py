"""Key pairs, ``jwks`` rows and JWTs as Better Auth 1.7.25's ``jwt`` plugin makes them.

Key creation (``plugins/jwt/utils.ts`` ``createJwk``): jose ``generateKeyPair(alg,
{crv, extractable: true})`` then ``exportJWK`` of both halves. The stored JWKs carry only
the key material, in Node's member order (no ``alg``, ``kid``, ``use``):

- EdDSA (default, Ed25519): public ``{"crv","x","kty"}``, private ``{"crv","d","x","kty"}``;
- ES256 / ES512: public ``{"kty","x","y","crv"}``, private adds ``"d"``;
- RS256 / PS256 (2048-bit, e=65537): public ``{"kty","n","e"}``, private adds
  ``"d","p","q","dp","dq","qi"``.

The ``jwks`` row: ``publicKey = JSON.stringify(publicJwk)``; ``privateKey =
JSON.stringify(symmetricEncrypt({key: secret, data: JSON.stringify(privateJwk)}))`` - note
the outer ``JSON.stringify``: the column holds a *quoted* JSON string of hex. With
``jwks.disablePrivateKeyEncryption: true`` (default ``false``) it is the plain private JWK
JSON. ``alg`` holds the algorithm and ``crv`` the curve (``"Ed25519"``, ``"P-256"``,
``"P-521"``; none for RSA). ``expiresAt`` is only set with ``jwks.rotationInterval``.

Signing (``plugins/jwt/sign.ts``): jose ``SignJWT(payload)`` with protected header
``{alg, kid}`` only (no ``typ``), where ``kid`` is the row id, then ``exp``, ``iss``, ``aud``
added after the payload's own claims. ``/token`` signs ``{iat, ...session.user, sub}`` with
``exp = iat + 15 min`` and ``iss = aud = `` the base URL's origin (``jwt_claims``).

``GET /jwks`` (``plugins/jwt/index.ts``) lists every row not expired for more than the grace
period (30 days) as ``{alg: row.alg ?? "EdDSA", crv: row.crv, ...publicJwk, kid: row.id}``.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from ._js import b64url_decode, b64url_encode, json_stringify
from .ids import generate_id
from .symmetric import SecretConfig, symmetric_decrypt, symmetric_encrypt

Jwk: TypeAlias = dict[str, str]
PrivateKey: TypeAlias = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

DEFAULT_ALG = "EdDSA"
SUPPORTED_ALGS = ("EdDSA", "ES256", "ES512", "RS256", "PS256")
#: jwks.gracePeriod default: expired keys stay listed this long (for tokens still in flight).
JWKS_GRACE_PERIOD_SECONDS = 30 * 24 * 3600
#: jwt.expirationTime default ("15m").
JWT_EXPIRATION_SECONDS = 15 * 60
#: jose's default modulusLength for RS256/PS256.
RSA_MODULUS_LENGTH = 2048

_EC_CURVES: dict[str, tuple[str, ec.EllipticCurve, hashes.HashAlgorithm]] = {
    "ES256": ("P-256", ec.SECP256R1(), hashes.SHA256()),
    "ES512": ("P-521", ec.SECP521R1(), hashes.SHA512()),
}


def _check_alg(alg: str) -> None:
    if alg not in SUPPORTED_ALGS:
        raise ValueError(f"unsupported JWT algorithm {alg!r}; Better Auth offers {SUPPORTED_ALGS}")


def _uint(value: int, size: int | None = None) -> str:
    # JWK integers are big-endian; Node pads EC members to the field size and writes RSA
    # members in their minimal length.
    length = size if size is not None else max(1, (value.bit_length() + 7) // 8)
    return b64url_encode(value.to_bytes(length, "big"))


def _int(jwk: Mapping[str, Any], member: str) -> int:
    return int.from_bytes(_member(jwk, member), "big")


def _member(jwk: Mapping[str, Any], member: str) -> bytes:
    value = jwk.get(member)
    if not isinstance(value, str):
        raise ValueError(f"JWK member {member!r} is missing")
    return b64url_decode(value)


def generate_key_pair(alg: str = DEFAULT_ALG) -> tuple[Jwk, Jwk]:
    """``(public_jwk, private_jwk)`` shaped exactly as the jwt plugin exports them."""
    _check_alg(alg)
    if alg == "EdDSA":
        ed_key = ed25519.Ed25519PrivateKey.generate()
        x = b64url_encode(ed_key.public_key().public_bytes_raw())
        d = b64url_encode(ed_key.private_bytes_raw())
        return {"crv": "Ed25519", "x": x, "kty": "OKP"}, {
            "crv": "Ed25519",
            "d": d,
            "x": x,
            "kty": "OKP",
        }
    if alg in _EC_CURVES:
        crv, curve, _ = _EC_CURVES[alg]
        ec_key = ec.generate_private_key(curve)
        numbers = ec_key.private_numbers()
        size = (curve.key_size + 7) // 8
        public = {
            "kty": "EC",
            "x": _uint(numbers.public_numbers.x, size),
            "y": _uint(numbers.public_numbers.y, size),
            "crv": crv,
        }
        return public, {**public, "d": _uint(numbers.private_value, size)}
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_MODULUS_LENGTH)
    rn = rsa_key.private_numbers()
    public = {"kty": "RSA", "n": _uint(rn.public_numbers.n), "e": _uint(rn.public_numbers.e)}
    return public, {
        **public,
        "d": _uint(rn.d),
        "p": _uint(rn.p),
        "q": _uint(rn.q),
        "dp": _uint(rn.dmp1),
        "dq": _uint(rn.dmq1),
        "qi": _uint(rn.iqmp),
    }


def jwk_crv(alg: str, public_jwk: Mapping[str, Any]) -> str | None:
    """The ``jwks.crv`` column Better Auth writes for a new key (``None`` for RSA)."""
    if alg == "EdDSA":
        return "Ed25519"  # the default keyPairConfig names the curve explicitly
    crv = public_jwk.get("crv")
    return crv if isinstance(crv, str) else None


def serialize_public_key(jwk: Mapping[str, Any]) -> str:
    """``jwks.publicKey``: ``JSON.stringify(publicJwk)``."""
    return json_stringify(jwk)


def encrypt_private_key(
    jwk: Mapping[str, Any], secret: str | SecretConfig, *, encrypt: bool = True
) -> str:
    """``jwks.privateKey``: the JSON-quoted ciphertext of the private JWK's JSON.

    ``encrypt=False`` mirrors ``jwks.disablePrivateKeyEncryption: true`` (plain JWK JSON).
    """
    plain = json_stringify(jwk)
    if not encrypt:
        return plain
    return json_stringify(symmetric_encrypt(secret, plain))


def decrypt_private_key(
    stored: str, secret: str | SecretConfig, *, encrypted: bool = True
) -> dict[str, Any]:
    """The private JWK from a ``jwks.privateKey`` value; ``ValueError`` if it cannot be read."""
    try:
        if encrypted:
            ciphertext = json.loads(stored)
            if not isinstance(ciphertext, str):
                raise ValueError("an encrypted jwks.privateKey is a JSON string")
            plain = symmetric_decrypt(secret, ciphertext)
        else:
            plain = stored
        jwk = json.loads(plain)
    except (TypeError, json.JSONDecodeError) as exc:
        raise ValueError("jwks.privateKey is not valid JSON") from exc
    if not isinstance(jwk, dict):
        raise ValueError("jwks.privateKey does not hold a JWK object")
    return jwk


def _private_key(jwk: Mapping[str, Any], alg: str) -> PrivateKey:
    kty = jwk.get("kty")
    try:
        if alg == "EdDSA":
            if kty != "OKP" or jwk.get("crv") != "Ed25519":
                raise ValueError("EdDSA needs an OKP Ed25519 JWK")
            return ed25519.Ed25519PrivateKey.from_private_bytes(_member(jwk, "d"))
        if alg in _EC_CURVES:
            crv, curve, _ = _EC_CURVES[alg]
            if kty != "EC" or jwk.get("crv") != crv:
                raise ValueError(f"{alg} needs an EC {crv} JWK")
            return ec.derive_private_key(_int(jwk, "d"), curve)
        if kty != "RSA":
            raise ValueError(f"{alg} needs an RSA JWK")
        public = rsa.RSAPublicNumbers(_int(jwk, "e"), _int(jwk, "n"))
        numbers = rsa.RSAPrivateNumbers(
            p=_int(jwk, "p"),
            q=_int(jwk, "q"),
            d=_int(jwk, "d"),
            dmp1=_int(jwk, "dp"),
            dmq1=_int(jwk, "dq"),
            iqmp=_int(jwk, "qi"),
            public_numbers=public,
        )
        return numbers.private_key()
    except UnsupportedAlgorithm as exc:  # pragma: no cover - depends on the OpenSSL build
        raise ValueError(f"{alg} is not available") from exc


def _sign(key: PrivateKey, alg: str, message: bytes) -> bytes:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(message)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        _, curve, digest = _EC_CURVES[alg]
        r, s = decode_dss_signature(key.sign(message, ec.ECDSA(digest)))
        size = (curve.key_size + 7) // 8
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")  # JWS wants raw r || s
    if alg == "PS256":
        # jose (WebCrypto RSA-PSS) uses a salt as long as the digest.
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        return key.sign(message, pss, hashes.SHA256())
    return key.sign(message, padding.PKCS1v15(), hashes.SHA256())


def sign_jwt(
    private_jwk: Mapping[str, Any],
    kid: str,
    payload: Mapping[str, Any],
    alg: str = DEFAULT_ALG,
    *,
    header: Mapping[str, Any] | None = None,
) -> str:
    """A compact JWS as the jwt plugin's ``signJWT`` produces it.

    The header is ``{...header, alg, kid}`` and the payload is serialised like
    ``JSON.stringify`` in the mapping's order, so for EdDSA (deterministic) the token equals
    Better Auth's byte for byte given the same claims in the same order (see ``jwt_claims``).
    """
    _check_alg(alg)
    protected: dict[str, Any] = dict(header or {})
    protected["alg"] = alg
    protected["kid"] = kid
    signing_input = (
        b64url_encode(json_stringify(protected).encode("utf-8"))
        + "."
        + b64url_encode(json_stringify(payload).encode("utf-8"))
    )
    signature = _sign(_private_key(private_jwk, alg), alg, signing_input.encode("ascii"))
    return f"{signing_input}.{b64url_encode(signature)}"


def jwt_claims(
    user: Mapping[str, Any],
    *,
    issuer: str,
    audience: str | list[str],
    issued_at: int | None = None,
    expires_in: int = JWT_EXPIRATION_SECONDS,
    subject: str | None = None,
) -> dict[str, Any]:
    """The claims ``GET /token`` signs, in Better Auth's order.

    ``{iat, ...user, sub}`` (``getJwtToken``), then ``exp``, ``iss``, ``aud`` appended by
    jose's setters. ``issuer``/``audience`` default to the base URL's origin in Better Auth.
    """
    iat = int(time.time()) if issued_at is None else issued_at
    claims: dict[str, Any] = {"iat": iat, **user}
    claims["sub"] = subject if subject is not None else user["id"]
    claims["exp"] = iat + expires_in
    claims["iss"] = issuer
    claims["aud"] = audience
    return claims


class JwksRowLike(Protocol):
    """What ``public_jwks`` reads from a ``jwks`` row (an ORM object, say)."""

    @property
    def id(self) -> str: ...
    @property
    def public_key(self) -> str: ...
    @property
    def alg(self) -> str | None: ...
    @property
    def crv(self) -> str | None: ...
    @property
    def expires_at(self) -> dt.datetime | None: ...


@dataclass(frozen=True, slots=True)
class JwksRow:
    """A ``jwks`` row with Better Auth's column values (FLTR's snake_case names)."""

    id: str
    public_key: str
    private_key: str
    created_at: dt.datetime
    expires_at: dt.datetime | None = None
    alg: str | None = None
    crv: str | None = None


def new_jwks_row(
    secret: str | SecretConfig,
    alg: str = DEFAULT_ALG,
    *,
    encrypt: bool = True,
    rotation_interval: int | None = None,
    now: dt.datetime | None = None,
) -> tuple[JwksRow, Jwk]:
    """A fresh key as ``createJwk`` stores it, plus its private JWK (to sign right away)."""
    public_jwk, private_jwk = generate_key_pair(alg)
    created = now if now is not None else dt.datetime.now(dt.UTC)
    row = JwksRow(
        id=generate_id(),
        public_key=serialize_public_key(public_jwk),
        private_key=encrypt_private_key(private_jwk, secret, encrypt=encrypt),
        created_at=created,
        expires_at=created + dt.timedelta(seconds=rotation_interval) if rotation_interval else None,
        alg=alg,
        crv=jwk_crv(alg, public_jwk),
    )
    return row, private_jwk


def _field(row: JwksRowLike | Mapping[str, Any], snake: str, camel: str) -> Any:
    if isinstance(row, Mapping):
        return row[snake] if snake in row else row.get(camel)
    return getattr(row, snake)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def public_jwks(
    rows: Iterable[JwksRowLike | Mapping[str, Any]],
    *,
    now: dt.datetime | None = None,
    grace_period: int = JWKS_GRACE_PERIOD_SECONDS,
    default_alg: str = DEFAULT_ALG,
    default_crv: str | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The body of ``GET /api/auth/jwks``: ``{"keys": [{alg, crv, ...publicJwk, kid}]}``.

    Rows may be objects with snake_case attributes or mappings (snake_case or camelCase keys).
    """
    current = _aware(now) if now is not None else dt.datetime.now(dt.UTC)
    keys: list[dict[str, Any]] = []
    for row in rows:
        expires_at = _field(row, "expires_at", "expiresAt")
        if (
            expires_at is not None
            and _aware(expires_at) + dt.timedelta(seconds=grace_period) <= current
        ):
            continue
        public = json.loads(_field(row, "public_key", "publicKey"))
        if not isinstance(public, dict):
            raise ValueError("jwks.publicKey does not hold a JWK object")
        alg = _field(row, "alg", "alg")
        crv = _field(row, "crv", "crv")
        # {alg, crv, ...public, kid}: members of the stored JWK overwrite alg/crv in place,
        # and an undefined crv keeps its slot only if the JWK fills it.
        entry: dict[str, Any] = {
            "alg": alg if alg is not None else default_alg,
            "crv": crv if crv is not None else default_crv,
        }
        entry.update(public)
        if entry["crv"] is None:
            del entry["crv"]
        entry["kid"] = _field(row, "id", "id")
        keys.append(entry)
    return {"keys": keys}
