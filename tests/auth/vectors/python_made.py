"""Add FLTR's own output to better_auth_1_7_25.json, for Better Auth to check.

Step 2 of the procedure in generate.mjs: ``uv run python tests/auth/vectors/python_made.py``
writes a ``python_made`` section (password hash, signed session cookie, ciphertext, a jwks row
with its private key encrypted by Python, JWTs signed by Python); then
``node tests/auth/vectors/generate.mjs --verify-python`` has the real better-auth verify each
item end to end and records the verdicts next to them.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

from fltr_auth.security.cookies import encode_cookie_value, sign_cookie_value
from fltr_auth.security.ids import generate_token
from fltr_auth.security.jwt_keys import (
    decrypt_private_key,
    generate_key_pair,
    jwt_claims,
    new_jwks_row,
    public_jwks,
    sign_jwt,
)
from fltr_auth.security.passwords import hash_password
from fltr_auth.security.symmetric import symmetric_encrypt

VECTORS = pathlib.Path(__file__).with_name("better_auth_1_7_25.json")


def main() -> None:
    vectors: dict[str, Any] = json.loads(VECTORS.read_text(encoding="utf-8"))
    secret: str = vectors["secret"]
    base_url: str = vectors["base_url"]

    password = "Python-made pässword \u2713 \ufb01"
    token = generate_token()
    signed = sign_cookie_value(token, secret)
    # Flip the first signature character: a forged cookie Better Auth must refuse.
    body, signature = signed.rsplit(".", 1)
    forged = f"{body}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"

    row, private_jwk = new_jwks_row(secret)
    claims = jwt_claims(
        {"id": "python-user", "name": "Py", "email": "py@example.com"},
        issuer=base_url,
        audience=base_url,
        issued_at=1_700_000_000,
        expires_in=10 * 365 * 86400,
    )
    ba_row = vectors["jwt"]["jwks_row"]
    ba_private = decrypt_private_key(ba_row["private_key"], secret)

    other_algs = []
    for alg in ("ES256", "ES512", "RS256", "PS256"):
        public, private = generate_key_pair(alg)
        kid = generate_token()
        other_algs.append(
            {
                "alg": alg,
                "kid": kid,
                "public_jwk": public,
                "token": sign_jwt(private, kid, claims, alg),
            }
        )

    vectors["python_made"] = {
        "about": "Made by fltr_auth.security (python_made.py); verified_by_better_auth is "
        "filled in by `node generate.mjs --verify-python` running better-auth 1.7.25.",
        "password": {"password": password, "hash": hash_password(password)},
        "cookie": {
            "secret": secret,
            "session_token": token,
            "signed": signed,
            "encoded": encode_cookie_value(signed),
            "tampered_encoded": encode_cookie_value(forged),
        },
        "symmetric": {
            "key": secret,
            "data": "Python ünïcødé \U0001f642",
            "ciphertext": symmetric_encrypt(secret, "Python ünïcødé \U0001f642"),
        },
        "jwks_row": {
            "id": row.id,
            "public_key": row.public_key,
            "private_key": row.private_key,
            "alg": row.alg,
            "crv": row.crv,
        },
        "jwks_response": public_jwks([row]),
        "jwt": {
            "payload": claims,
            "token": sign_jwt(private_jwk, row.id, claims),
            "token_with_better_auth_key": sign_jwt(ba_private, ba_row["id"], claims),
        },
        "other_algs": other_algs,
    }
    VECTORS.write_text(json.dumps(vectors, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
