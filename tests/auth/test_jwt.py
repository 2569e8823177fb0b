"""JWTs as Better Auth's jwt plugin makes them, checked with PyJWT against our JWKS."""

from __future__ import annotations

import json

import httpx
import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from fltr_auth.jwt.models import Jwk
from tests.auth.helpers import sign_up

pytestmark = pytest.mark.core


async def test_token_verifies_with_pyjwt_against_jwks(
    auth_client: httpx.AsyncClient, auth_app: FastAPI
) -> None:
    account = await sign_up(auth_client)
    response = await auth_client.get("/api/auth/token", headers=account.bearer)
    assert response.status_code == 200
    token = response.json()["token"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA"
    jwks = (await auth_client.get("/api/auth/jwks")).json()
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    assert key["kty"] == "OKP"
    assert key["crv"] == "Ed25519"
    assert "d" not in key  # never the private part
    origin = auth_app.state.settings.base_origin
    claims = jwt.decode(
        token,
        jwt.PyJWK.from_dict(key, algorithm="EdDSA"),
        algorithms=["EdDSA"],
        audience=origin,
        issuer=origin,
    )
    assert claims["sub"] == account.user["id"]
    assert claims["email"] == account.email
    assert claims["exp"] - claims["iat"] == 900


async def test_private_key_is_encrypted_at_rest(
    auth_client: httpx.AsyncClient, auth_app: FastAPI
) -> None:
    account = await sign_up(auth_client)
    await auth_client.get("/api/auth/token", headers=account.bearer)
    async with auth_app.state.db.transaction() as db:
        rows = (await db.execute(select(Jwk))).scalars().all()
    assert rows
    for row in rows:
        assert '"d"' not in row.private_key
        assert json.loads(row.public_key)["crv"] == "Ed25519"


async def test_get_session_hands_out_a_jwt(auth_client: httpx.AsyncClient) -> None:
    account = await sign_up(auth_client)
    response = await auth_client.get("/api/auth/get-session", headers=account.bearer)
    token = response.headers["set-auth-jwt"]
    assert jwt.decode(token, options={"verify_signature": False})["sub"] == account.user["id"]
    assert (await auth_client.get("/api/auth/get-session")).headers.get("set-auth-jwt") is None
