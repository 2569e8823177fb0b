"""FLTR's auth service and the real Better Auth 1.7.25 on ONE database, with one secret.

What issue 4 asks to prove: users, passwords, cookies, bearer tokens and JWTs made by either
are accepted by the other (and by the content service's caller dependency), the official
client works against FLTR, and Better Auth's migrator finds FLTR's schema complete.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from fltr_auth.app import create_app as create_auth_app
from fltr_auth.migration_spec import AUTH_MIGRATIONS
from fltr_auth.settings import AuthSettings
from fltr_content.app import create_app as create_content_app
from fltr_content.settings import ContentSettings
from tests.compat.better_auth import (
    NODE_DIR,
    better_auth_server,
    ensure_installed,
    migration_report,
)
from tests.support import serve_in_loop, service_database

pytestmark = pytest.mark.compat

SECRET = "compat-shared-secret-0123456789abcdefghij"
PUBLIC = "http://auth.fltr.test"  # BETTER_AUTH_URL of both: the JWT issuer and a trusted origin
ORIGIN = {"Origin": PUBLIC}
PASSWORD = "a shared password 1"
COOKIE = "better-auth.session_token"


@pytest.fixture(scope="module")
async def shared_db(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """A database migrated by FLTR's Alembic migrations (not by Better Auth)."""
    async with service_database(
        "fltr_auth_cross", AUTH_MIGRATIONS, tmp_path_factory.mktemp("cross")
    ) as url:
        yield url


@pytest.fixture(scope="module")
def better_auth(shared_db: str) -> Iterator[str]:
    with better_auth_server(shared_db, SECRET, base_url=PUBLIC) as url:
        yield url


@pytest.fixture(scope="module")
async def fltr(shared_db: str, auth_settings: AuthSettings) -> AsyncIterator[tuple[str, FastAPI]]:
    settings = auth_settings.model_copy(
        update={
            "database_url": shared_db,
            "better_auth_secret": SecretStr(SECRET),
            "better_auth_url": PUBLIC,
        }
    )
    app = create_auth_app(settings)
    async with app.router.lifespan_context(app), serve_in_loop(app) as url:
        yield url, app


@pytest.fixture(scope="module")
async def content(
    fltr: tuple[str, FastAPI],
    content_settings: ContentSettings,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[httpx.AsyncClient]:
    settings = content_settings.model_copy(
        update={
            "auth_service_url": fltr[0],
            "auth_jwt_issuer": PUBLIC,
            "milvus_uri": str(tmp_path_factory.mktemp("milvus") / "m.db"),
        }
    )
    app = create_content_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://content") as client:
            yield client


def client(base: str) -> httpx.AsyncClient:
    """No cookie jar: every request carries exactly the credential the test gives it."""
    c = httpx.AsyncClient(base_url=base, timeout=15)

    async def forget(_: httpx.Response) -> None:
        c.cookies.clear()

    c.event_hooks["response"].append(forget)
    return c


def new_email() -> str:
    return f"cross-{uuid.uuid4().hex[:10]}@example.com"


async def sign_up(base: str, email: str) -> httpx.Response:
    async with client(base) as c:
        response = await c.post(
            "/api/auth/sign-up/email", json={"email": email, "password": PASSWORD, "name": "X"}
        )
    assert response.status_code == 200, response.text
    return response


async def sign_in(base: str, email: str, password: str = PASSWORD) -> httpx.Response:
    async with client(base) as c:
        return await c.post("/api/auth/sign-in/email", json={"email": email, "password": password})


async def get_session(base: str, headers: dict[str, str]) -> Any:
    async with client(base) as c:
        response = await c.get("/api/auth/get-session", headers=headers)
    assert response.status_code == 200
    return response.json()


def cookie_header(response: httpx.Response) -> dict[str, str]:
    value = response.headers["set-cookie"].split(";", 1)[0]
    assert value.startswith(COOKIE + "=")
    return {"Cookie": value}


def bearer(response: httpx.Response) -> dict[str, str]:
    return {"Authorization": f"Bearer {response.headers['set-auth-token']}"}


@pytest.mark.parametrize("direction", ["better-auth -> fltr", "fltr -> better-auth"])
async def test_sign_up_on_one_sign_in_on_the_other(
    better_auth: str, fltr: tuple[str, FastAPI], direction: str
) -> None:
    first, second = (better_auth, fltr[0])
    if direction == "fltr -> better-auth":
        first, second = second, first
    email = new_email()
    created = await sign_up(first, email)
    signed_in = await sign_in(second, email.upper())
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["user"]["id"] == created.json()["user"]["id"]
    keys = ("id", "email", "name", "emailVerified", "role", "createdAt")
    assert {k: signed_in.json()["user"][k] for k in keys} == {
        k: created.json()["user"][k] for k in keys
    }
    wrong = await sign_in(second, email, "not the password")
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "INVALID_EMAIL_OR_PASSWORD"
    async with client(second) as c:
        duplicate = await c.post(
            "/api/auth/sign-up/email", json={"email": email, "password": PASSWORD, "name": "Y"}
        )
    assert duplicate.status_code == 422
    assert duplicate.json()["code"] == "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"


async def test_better_auth_credentials_pass_fltr_and_the_content_service(
    better_auth: str, fltr: tuple[str, FastAPI], content: httpx.AsyncClient
) -> None:
    response = await sign_up(better_auth, new_email())
    user_id = response.json()["user"]["id"]
    for headers in (cookie_header(response), bearer(response)):
        session = await get_session(fltr[0], headers)
        assert session["user"]["id"] == user_id
        me = await content.get("/api/v1/me", headers=headers)
        assert me.status_code == 200, me.text
        assert me.json()["user_id"] == user_id


async def test_fltr_cookie_passes_better_auth(better_auth: str, fltr: tuple[str, FastAPI]) -> None:
    response = await sign_up(fltr[0], new_email())
    session = await get_session(better_auth, cookie_header(response))
    assert session["user"]["id"] == response.json()["user"]["id"]
    via_bearer = await get_session(better_auth, bearer(response))
    assert via_bearer["session"]["token"] == response.json()["token"]


@pytest.mark.parametrize("issuer", ["better-auth", "fltr"])
async def test_tampered_cookie_fails_on_both_sides(
    better_auth: str, fltr: tuple[str, FastAPI], issuer: str
) -> None:
    response = await sign_up(better_auth if issuer == "better-auth" else fltr[0], new_email())
    name, _, value = cookie_header(response)["Cookie"].partition("=")
    tampered = {"Cookie": f"{name}={value[:-6]}AAAA%3D"}
    assert await get_session(better_auth, tampered) is None
    assert await get_session(fltr[0], tampered) is None


async def test_better_auth_jwt_verifies_in_fltr(
    better_auth: str, fltr: tuple[str, FastAPI], content: httpx.AsyncClient
) -> None:
    response = await sign_up(better_auth, new_email())
    async with client(better_auth) as c:
        token = (await c.get("/api/auth/token", headers=bearer(response))).json()["token"]
    async with client(fltr[0]) as c:
        jwks = (await c.get("/api/auth/jwks")).json()
    header = jwt.get_unverified_header(token)
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    claims = jwt.decode(
        token,
        jwt.PyJWK.from_dict(key, algorithm="EdDSA"),
        algorithms=["EdDSA"],
        audience=PUBLIC,
        issuer=PUBLIC,
    )
    assert claims["sub"] == response.json()["user"]["id"]
    me = await content.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    assert me.json()["credential"] == "jwt"


async def test_fltr_jwt_verifies_with_better_auth(
    better_auth: str, fltr: tuple[str, FastAPI]
) -> None:
    response = await sign_up(fltr[0], new_email())
    async with client(fltr[0]) as c:
        token = (await c.get("/api/auth/token", headers=bearer(response))).json()["token"]
    async with client(better_auth) as c:
        own = (await c.post("/test/verify-jwt", json={"token": token})).json()
        remote = (
            await c.post(
                "/test/verify-jwt",
                json={
                    "token": token,
                    "jwks_url": f"{fltr[0]}/api/auth/jwks",
                    "issuer": PUBLIC,
                    "audience": PUBLIC,
                },
            )
        ).json()
        forged = (await c.post("/test/verify-jwt", json={"token": token[:-4] + "AAAA"})).json()
    assert own["valid"] is True, own
    assert own["payload"]["sub"] == response.json()["user"]["id"]
    assert remote["valid"] is True, remote
    assert forged["valid"] is False


async def test_official_client_against_fltr(fltr: tuple[str, FastAPI]) -> None:
    ensure_installed()
    email = new_email()
    result = await asyncio.to_thread(
        subprocess.run,
        ["node", "client-flow.mjs", fltr[0], email, PASSWORD],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["signUp"] == {"error": None, "email": email}
    assert out["sessionAfterSignUp"]["email"] == email
    assert out["signOut"]["error"] is None
    assert out["sessionAfterSignOut"] == {"error": None, "email": None}
    assert out["signIn"] == {"error": None, "email": email}
    assert out["sessionAfterSignIn"]["email"] == email
    assert out["wrongPassword"]["error"] == {"status": 401, "code": "INVALID_EMAIL_OR_PASSWORD"}
    assert out["duplicate"]["error"] == {
        "status": 422,
        "code": "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
    }


async def test_better_auth_migrator_finds_fltr_schema_complete(shared_db: str) -> None:
    report = await asyncio.to_thread(migration_report, shared_db)
    assert report["toBeCreated"] == []
    assert report["toBeAdded"] == []


def test_node_dir_exists() -> None:
    assert (Path(NODE_DIR) / "client-flow.mjs").exists()
