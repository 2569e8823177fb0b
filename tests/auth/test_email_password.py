"""Sign-up and sign-in with email and password, in Better Auth's shapes."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from fltr_auth.users.models import Account, User
from tests.auth.helpers import COOKIE, PASSWORD, sign_in, sign_up, unique_email

pytestmark = pytest.mark.core


async def count_users(app: FastAPI) -> int:
    async with app.state.db.transaction() as db:
        return int((await db.execute(select(func.count()).select_from(User))).scalar_one())


async def test_sign_up_creates_user_credential_and_session(
    auth_client: httpx.AsyncClient, auth_app: FastAPI
) -> None:
    email = unique_email("Mixed.Case")
    response = await auth_client.post(
        "/api/auth/sign-up/email", json={"email": email, "password": PASSWORD, "name": "Ada"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) >= {"token", "user"}
    user = body["user"]
    assert user["email"] == email.lower()
    assert user["emailVerified"] is False
    assert user["role"] == "developer"
    assert len(user["id"]) == 32
    assert user["createdAt"].endswith("Z")
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith(f"{COOKIE}={body['token']}.")
    for attribute in ("HttpOnly", "Max-Age=604800", "Path=/"):
        assert attribute in set_cookie
    assert "samesite=lax" in set_cookie.lower()
    assert response.headers["set-auth-token"].startswith(body["token"] + ".")
    async with auth_app.state.db.transaction() as db:
        account = (
            await db.execute(select(Account).where(Account.user_id == user["id"]))
        ).scalar_one()
    assert account.provider_id == "credential"
    assert account.account_id == user["id"]
    salt, key = account.password.split(":")
    assert len(salt) == 32
    assert len(key) == 128


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"password": "short"}, 400, "PASSWORD_TOO_SHORT"),
        ({"password": "x" * 129}, 400, "PASSWORD_TOO_LONG"),
        ({"email": "not-an-email"}, 400, "INVALID_EMAIL"),
    ],
)
async def test_sign_up_rejects_bad_input_and_creates_nothing(
    auth_client: httpx.AsyncClient,
    auth_app: FastAPI,
    payload: dict[str, str],
    status: int,
    code: str,
) -> None:
    before = await count_users(auth_app)
    body = {"email": unique_email(), "password": PASSWORD, "name": "A", **payload}
    response = await auth_client.post("/api/auth/sign-up/email", json=body)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["error"] == code.lower()
    assert "set-cookie" not in response.headers
    assert await count_users(auth_app) == before


async def test_sign_up_with_missing_fields_is_422_with_fields(
    auth_client: httpx.AsyncClient,
) -> None:
    response = await auth_client.post("/api/auth/sign-up/email", json={"email": unique_email()})
    assert response.status_code == 422
    locs = {tuple(f["loc"]) for f in response.json()["fields"]}
    assert ("body", "password") in locs
    assert ("body", "name") in locs


async def test_duplicate_email_is_422_whatever_the_case(
    auth_client: httpx.AsyncClient, auth_app: FastAPI
) -> None:
    first = await sign_up(auth_client)
    before = await count_users(auth_app)
    response = await auth_client.post(
        "/api/auth/sign-up/email",
        json={"email": first.email.upper(), "password": "another password", "name": "B"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"
    assert await count_users(auth_app) == before
    # the first user's password still works
    assert (await sign_in(auth_client, first.email)).status_code == 200


async def test_sign_in_returns_session(auth_client: httpx.AsyncClient) -> None:
    account = await sign_up(auth_client)
    response = await sign_in(auth_client, account.email.upper())
    assert response.status_code == 200
    body = response.json()
    assert body["redirect"] is False
    assert body["user"]["id"] == account.user["id"]
    assert body["token"] != account.token
    assert response.cookies.get(COOKIE) or COOKIE in response.headers["set-cookie"]


@pytest.mark.parametrize("which", ["wrong password", "unknown email"])
async def test_sign_in_failures_are_the_same_401(
    auth_client: httpx.AsyncClient, which: str
) -> None:
    account = await sign_up(auth_client)
    email, password = {
        "wrong password": (account.email, "wrong password!"),
        "unknown email": (unique_email(), PASSWORD),
    }[which]
    response = await sign_in(auth_client, email, password)
    assert response.status_code == 401
    assert response.json()["code"] == "INVALID_EMAIL_OR_PASSWORD"
    assert response.json()["message"] == "Invalid email or password"
    assert "set-cookie" not in response.headers


async def test_remember_me_off_gives_a_browser_session_cookie(
    auth_client: httpx.AsyncClient,
) -> None:
    account = await sign_up(auth_client)
    response = await sign_in(auth_client, account.email, rememberMe=False)
    assert response.status_code == 200
    cookies = response.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith(COOKIE + "="))
    assert "Max-Age" not in session_cookie
    assert any(c.startswith("better-auth.dont_remember=true.") for c in cookies)


async def test_users_with_uuid_ids_sign_in_too(
    auth_client: httpx.AsyncClient, auth_app: FastAPI
) -> None:
    """Better Auth may be configured with generateId "uuid"; such rows must work here."""
    import uuid

    from fltr_auth.security.passwords import hash_password

    user_id = str(uuid.uuid4())
    email = unique_email("uuid")
    async with auth_app.state.db.transaction() as db:
        db.add(User(id=user_id, name="U", email=email, email_verified=True))
        await db.flush()
        db.add(
            Account(
                id=str(uuid.uuid4()),
                account_id=user_id,
                provider_id="credential",
                user_id=user_id,
                password=hash_password(PASSWORD),
            )
        )
    response = await sign_in(auth_client, email)
    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"] == user_id


async def test_sign_in_with_malformed_email_is_400(auth_client: httpx.AsyncClient) -> None:
    response = await sign_in(auth_client, "nope")
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_EMAIL"


@pytest.mark.parametrize("field", ["role", "banned", "stripeCustomerId", "emailVerified"])
async def test_sign_up_refuses_protected_fields(
    auth_client: httpx.AsyncClient, auth_app: FastAPI, field: str
) -> None:
    before = await count_users(auth_app)
    response = await auth_client.post(
        "/api/auth/sign-up/email",
        json={"email": unique_email(), "password": PASSWORD, "name": "A", field: "admin"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "FIELD_NOT_ALLOWED"
    assert await count_users(auth_app) == before


async def test_sign_in_with_callback_url_redirects(auth_client: httpx.AsyncClient) -> None:
    account = await sign_up(auth_client)
    response = await sign_in(auth_client, account.email, callbackURL="/dashboard")
    assert response.status_code == 200
    assert response.json()["redirect"] is True
    assert response.json()["url"] == "/dashboard"
    assert response.headers["location"] == "/dashboard"
    evil = await sign_in(auth_client, account.email, callbackURL="https://evil.example/")
    assert evil.status_code == 403
    assert evil.json()["code"] == "INVALID_CALLBACK_URL"
