"""The real Better Auth 1.7.25 (npm) on a fresh PostgreSQL database, with FLTR's naming.

These tests pin down what Better Auth itself does (tables, HTTP shapes, cookies, tokens,
crypto) so that FLTR's auth service can be held to the same facts. The facts are listed in
tests/compat/README.md ("Observed Better Auth 1.7.25 behaviour"); keep the two in step.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import string
import time
import unicodedata
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import asyncpg
import httpx
import jwt
import nacl.bindings
import pytest

from tests.compat.better_auth import (
    BETTER_AUTH_VERSION,
    NODE_DIR,
    apply_better_auth_migrations,
    better_auth_server,
    better_auth_sql,
    migration_report,
    node_database_url,
)
from tests.support import create_postgres_database, drop_postgres_database

pytestmark = pytest.mark.compat

SECRET = "compat-secret-" + "k" * 32
EXTRA_ORIGIN = "http://app.fltr.test:3000"
FOREIGN_ORIGIN = "http://evil.example"
ALNUM = set(string.ascii_letters + string.digits)
DDL_FILE = Path(__file__).with_name("better-auth-1.7.25-fltr.sql")

# -- The tables Better Auth 1.7.25 creates with FLTR's config (columns in DDL order) --

EXPECTED_TABLES: dict[str, list[str]] = {
    "users": [
        "id", "name", "email", "email_verified", "image", "created_at", "updated_at",
        "role", "banned", "ban_reason", "ban_expires", "username", "stripe_customer_id",
    ],
    "sessions": [
        "id", "expires_at", "token", "created_at", "updated_at", "ip_address", "user_agent",
        "user_id", "impersonated_by", "active_organization_id", "active_team_id",
    ],
    "accounts": [
        "id", "account_id", "provider_id", "user_id", "access_token", "refresh_token",
        "id_token", "access_token_expires_at", "refresh_token_expires_at", "scope", "password",
        "created_at", "updated_at",
    ],
    "verifications": ["id", "identifier", "value", "expires_at", "created_at", "updated_at"],
    "jwks": ["id", "public_key", "private_key", "created_at", "expires_at", "alg", "crv"],
    "organizations": ["id", "name", "slug", "logo", "created_at", "metadata"],
    "members": ["id", "organization_id", "user_id", "role", "created_at"],
    "invitations": [
        "id", "organization_id", "email", "role", "team_id", "status", "expires_at",
        "created_at", "inviter_id",
    ],
    "teams": ["id", "name", "member_count", "organization_id", "created_at", "updated_at"],
    "team_members": ["id", "team_id", "user_id", "membership_key", "created_at"],
}  # fmt: skip

# Better Auth's migrator creates them in this order (foreign keys first).
CREATION_ORDER = [
    "users", "sessions", "accounts", "verifications", "jwks", "organizations", "teams",
    "team_members", "members", "invitations",
]  # fmt: skip

# -- Response shapes --

USER_KEYS = {
    "id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt",
    # admin plugin
    "role", "banned", "banReason", "banExpires",
    # FLTR's additionalFields
    "username", "stripeCustomerId",
}  # fmt: skip
SESSION_KEYS = {
    "id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId",
    "impersonatedBy",  # admin plugin
    "activeOrganizationId", "activeTeamId",  # organization plugin (teams enabled)
}  # fmt: skip
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SESSION_COOKIE = re.compile(
    r"^better-auth\.session_token=([A-Za-z0-9]{32})\.([A-Za-z0-9%]+); "
    r"Max-Age=604800; Path=/; HttpOnly; SameSite=Lax$"
)
CLEARED_COOKIES = [
    "better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
    "better-auth.session_data=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
    "better-auth.dont_remember=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
]


def error(code: str, message: str) -> dict[str, str]:
    """Better Auth's error body: exactly these two keys."""
    return {"message": message, "code": code}


# -- Fixtures --


@pytest.fixture(scope="module")
async def database() -> AsyncIterator[dict[str, Any]]:
    """A fresh PostgreSQL database, migrated by Better Auth's own migrator."""
    url = await create_postgres_database("fltr_compat")
    try:
        sql = await asyncio.to_thread(better_auth_sql, url)
        applied = await asyncio.to_thread(apply_better_auth_migrations, url)
        yield {"url": url, "sql": sql, "applied": applied}
    finally:
        await drop_postgres_database(url)


@pytest.fixture(scope="module")
async def db(database: dict[str, Any]) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(node_database_url(database["url"]))
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def server(database: dict[str, Any]) -> Iterator[str]:
    with better_auth_server(database["url"], SECRET, trusted_origins=[EXTRA_ORIGIN]) as url:
        yield url


@pytest.fixture
async def client(server: str) -> AsyncIterator[httpx.AsyncClient]:
    """No cookie jar: every request carries exactly the headers the test gives it."""

    async def forget_cookies(response: httpx.Response) -> None:
        client.cookies.clear()

    async with httpx.AsyncClient(
        base_url=server, timeout=15, event_hooks={"response": [forget_cookies]}
    ) as client:
        yield client


def new_email() -> str:
    return f"compat-{uuid.uuid4().hex[:12]}@example.com"


def set_cookies(response: httpx.Response) -> list[str]:
    return response.headers.get_list("set-cookie")


def cookie_pair(response: httpx.Response, name: str = "better-auth.session_token") -> str:
    """``name=value`` of a Set-Cookie, ready for a Cookie header."""
    for line in set_cookies(response):
        if line.startswith(name + "="):
            return line.split(";", 1)[0]
    raise AssertionError(f"no {name} cookie in {set_cookies(response)}")


def sign(value: str, secret: str = SECRET) -> str:
    """What FLTR must do: base64(HMAC-SHA256(secret, value)), standard alphabet, padded."""
    digest = hmac.new(secret.encode(), value.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def b64url_json(part: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


async def sign_up(
    client: httpx.AsyncClient,
    email: str | None = None,
    password: str = "password123",  # noqa: S107
    **extra: Any,
) -> httpx.Response:
    body = {"email": email or new_email(), "password": password, "name": "Compat User", **extra}
    return await client.post("/api/auth/sign-up/email", json=body)


async def signed_in(client: httpx.AsyncClient, **extra: Any) -> tuple[str, str, dict[str, Any]]:
    """A new user; returns (Cookie header value, set-auth-token, sign-up body)."""
    response = await sign_up(client, **extra)
    assert response.status_code == 200, response.text
    return cookie_pair(response), response.headers["set-auth-token"], response.json()


# -- Schema --


async def test_pinned_version() -> None:
    package = json.loads((NODE_DIR / "node_modules/better-auth/package.json").read_text())
    assert package["version"] == BETTER_AUTH_VERSION
    lock = json.loads((NODE_DIR / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/better-auth"]["version"] == BETTER_AUTH_VERSION


async def test_migrations_create_exactly_fltr_tables(
    database: dict[str, Any], db: asyncpg.Connection
) -> None:
    applied = database["applied"]
    assert applied["toBeCreated"] == CREATION_ORDER
    assert applied["toBeAdded"] == []
    rows = await db.fetch(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
    )
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row["table_name"], []).append(row["column_name"])
    assert found == EXPECTED_TABLES
    # Dynamic access control stays off: no organizationRole table.
    assert "organization_roles" not in found
    assert "organizationRole" not in found


async def test_migration_ddl_is_the_recorded_one(database: dict[str, Any]) -> None:
    """The DDL Better Auth emits for FLTR's config is checked in next to this file."""
    assert database["sql"].strip() == DDL_FILE.read_text().strip()


async def test_column_types_and_defaults(db: asyncpg.Connection) -> None:
    rows = await db.fetch(
        "SELECT table_name, column_name, data_type, is_nullable, column_default"
        " FROM information_schema.columns WHERE table_schema = 'public'"
    )
    col = {(r["table_name"], r["column_name"]): r for r in rows}
    assert {r["data_type"] for r in rows} == {
        "text",
        "boolean",
        "timestamp with time zone",
        "integer",
    }
    # NOT NULL without a database default: whoever inserts must set them.
    for key in [
        ("users", "email_verified"),
        ("sessions", "updated_at"),
        ("accounts", "updated_at"),
        ("jwks", "created_at"),
        ("organizations", "created_at"),
        ("members", "created_at"),
        ("teams", "member_count"),
        ("teams", "created_at"),
    ]:
        assert col[key]["is_nullable"] == "NO", key
        assert col[key]["column_default"] is None, key
    for key in [("users", "created_at"), ("users", "updated_at"), ("verifications", "updated_at")]:
        assert col[key]["column_default"] == "CURRENT_TIMESTAMP", key
    assert col[("teams", "member_count")]["data_type"] == "integer"
    assert col[("users", "banned")]["data_type"] == "boolean"
    assert col[("users", "banned")]["is_nullable"] == "YES"


async def test_migration_report_is_empty_after_apply(database: dict[str, Any]) -> None:
    report = await asyncio.to_thread(migration_report, database["url"])
    assert report == {
        "toBeCreated": [],
        "toBeAdded": [],
        "toBeAddedIndexes": [],
        "unsafeChanges": [],
        "schemaProblems": [],
    }


# -- Sign up / sign in --


async def test_sign_up_shape(client: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    email = new_email()
    response = await sign_up(client, email=email.upper().replace("@EXAMPLE", "@Example"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["token", "user"]
    user = body["user"]
    assert set(user) == USER_KEYS
    assert user["email"] == email  # stored and returned lower-cased
    assert user["emailVerified"] is False
    assert user["image"] is None
    assert user["role"] == "developer"
    assert user["banned"] is False
    assert user["banReason"] is None
    assert user["banExpires"] is None
    assert user["username"] is None
    assert user["stripeCustomerId"] is None
    assert ISO_MS.match(user["createdAt"])
    # Better Auth takes two Date()s for them: equal, or a millisecond apart on a busy machine
    created = datetime.fromisoformat(user["createdAt"].replace("Z", "+00:00"))
    updated = datetime.fromisoformat(user["updatedAt"].replace("Z", "+00:00"))
    assert timedelta(0) <= updated - created <= timedelta(milliseconds=50)
    assert len(user["id"]) == 32
    assert set(user["id"]) <= ALNUM
    token = body["token"]
    assert len(token) == 32
    assert set(token) <= ALNUM

    # Headers: cookie (URL-encoded signed token) and set-auth-token (not URL-encoded).
    [line] = set_cookies(response)
    match = SESSION_COOKIE.match(line)
    assert match, line
    assert match.group(1) == token
    assert unquote(match.group(2)) == sign(token)
    assert response.headers["set-auth-token"] == f"{token}.{sign(token)}"
    assert response.headers["access-control-expose-headers"] == "set-auth-token"
    assert "location" not in response.headers

    # Rows.
    row = await db.fetchrow("SELECT * FROM users WHERE id = $1", user["id"])
    assert row["email"] == email
    assert row["role"] == "developer"
    assert row["banned"] is False
    account = await db.fetchrow("SELECT * FROM accounts WHERE user_id = $1", user["id"])
    assert account["provider_id"] == "credential"
    assert account["account_id"] == user["id"]
    assert re.fullmatch(r"[0-9a-f]{32}:[0-9a-f]{128}", account["password"])
    assert account["access_token"] is None
    assert account["scope"] is None
    session = await db.fetchrow("SELECT * FROM sessions WHERE token = $1", token)
    assert session["user_id"] == user["id"]
    assert session["ip_address"] == ""  # no X-Forwarded-For: empty string, not NULL
    assert session["user_agent"].startswith("python-httpx/")
    lifetime = session["expires_at"] - session["created_at"]
    assert abs(lifetime - timedelta(days=7)) < timedelta(seconds=5)


async def test_sign_up_with_username_and_remember_me_off(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    username = f"u{uuid.uuid4().hex[:10]}"
    response = await sign_up(
        client, username=username, image="https://img.test/a.png", rememberMe=False
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["username"] == username
    assert body["user"]["image"] == "https://img.test/a.png"
    token = body["token"]
    session_value = quote(f"{token}.{sign(token)}", safe="")
    dont_remember = quote("true." + sign("true"), safe="")
    assert set_cookies(response) == [
        f"better-auth.session_token={session_value}; Path=/; HttpOnly; SameSite=Lax",
        f"better-auth.dont_remember={dont_remember}; Path=/; HttpOnly; SameSite=Lax",
    ]
    session = await db.fetchrow("SELECT * FROM sessions WHERE token = $1", token)
    lifetime = session["expires_at"] - session["created_at"]
    assert abs(lifetime - timedelta(days=1)) < timedelta(seconds=5)

    # A second user with the same username: the unique index fires, generic 422.
    again = await sign_up(client, username=username)
    assert again.status_code == 422
    assert again.json() == error("FAILED_TO_CREATE_USER", "Failed to create user")


async def test_sign_up_errors(client: httpx.AsyncClient) -> None:
    email = new_email()
    assert (await sign_up(client, email=email)).status_code == 200
    for attempt in (email, email.upper()):
        duplicate = await sign_up(client, email=attempt)
        assert duplicate.status_code == 422
        assert duplicate.json() == error(
            "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", "User already exists. Use another email."
        )
        assert "set-cookie" not in duplicate.headers

    short = await sign_up(client, password="short12")  # 7 characters
    assert short.status_code == 400
    assert short.json() == error("PASSWORD_TOO_SHORT", "Password too short")
    assert (await sign_up(client, password="a" * 8)).status_code == 200
    long = await sign_up(client, password="a" * 129)
    assert long.status_code == 400
    assert long.json() == error("PASSWORD_TOO_LONG", "Password too long")
    assert (await sign_up(client, password="a" * 128)).status_code == 200

    missing = await client.post(
        "/api/auth/sign-up/email", json={"email": new_email(), "password": "password123"}
    )
    assert missing.status_code == 400
    assert missing.json() == error(
        "VALIDATION_ERROR", "[body.name] Invalid input: expected string, received undefined"
    )
    bad_email = await sign_up(client, email="not-an-email")
    assert bad_email.status_code == 400
    assert bad_email.json() == error("VALIDATION_ERROR", "[body.email] Invalid email address")
    role = await sign_up(client, role="admin")  # input: false fields are refused, not ignored
    assert role.status_code == 400
    assert role.json() == error("FIELD_NOT_ALLOWED", "role is not allowed to be set")


async def test_sign_in_shape(client: httpx.AsyncClient, db: asyncpg.Connection) -> None:
    email = new_email()
    user = (await sign_up(client, email=email)).json()["user"]
    response = await client.post(
        "/api/auth/sign-in/email", json={"email": email.upper(), "password": "password123"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["redirect", "token", "user"]
    assert body["redirect"] is False
    assert body["user"] == user
    token = body["token"]
    [line] = set_cookies(response)
    assert SESSION_COOKIE.match(line).group(1) == token  # type: ignore[union-attr]
    assert response.headers["set-auth-token"] == f"{token}.{sign(token)}"
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE user_id = $1", user["id"]) == 2

    # With a callbackURL: redirect true, url, and a Location header on the 200.
    redirected = await client.post(
        "/api/auth/sign-in/email",
        json={"email": email, "password": "password123", "callbackURL": "/dashboard"},
    )
    assert redirected.status_code == 200
    assert list(redirected.json()) == ["redirect", "token", "url", "user"]
    assert redirected.json()["redirect"] is True
    assert redirected.json()["url"] == "/dashboard"
    assert redirected.headers["location"] == "/dashboard"
    foreign = await client.post(
        "/api/auth/sign-in/email",
        json={"email": email, "password": "password123", "callbackURL": FOREIGN_ORIGIN + "/x"},
    )
    assert foreign.status_code == 403
    assert foreign.json() == error("INVALID_CALLBACK_URL", "Invalid callbackURL")


async def test_sign_in_errors(client: httpx.AsyncClient) -> None:
    email = new_email()
    await sign_up(client, email=email)
    wrong = await client.post(
        "/api/auth/sign-in/email", json={"email": email, "password": "wrong-password"}
    )
    assert wrong.status_code == 401
    assert wrong.json() == error("INVALID_EMAIL_OR_PASSWORD", "Invalid email or password")
    assert "set-cookie" not in wrong.headers
    unknown = await client.post(
        "/api/auth/sign-in/email", json={"email": new_email(), "password": "password123"}
    )
    assert unknown.status_code == 401
    assert unknown.json() == wrong.json()
    bad = await client.post(
        "/api/auth/sign-in/email", json={"email": "nobody", "password": "password123"}
    )
    assert bad.status_code == 400
    assert bad.json() == error("INVALID_EMAIL", "Invalid email")


# -- Sessions --


async def test_get_session_with_cookie_and_bearer(client: httpx.AsyncClient) -> None:
    cookie, auth_token, signed_up = await signed_in(client)
    token = signed_up["token"]
    by_cookie = await client.get("/api/auth/get-session", headers={"cookie": cookie})
    assert by_cookie.status_code == 200
    body = by_cookie.json()
    assert list(body) == ["session", "user"]
    assert set(body["session"]) == SESSION_KEYS
    assert body["user"] == signed_up["user"]
    session = body["session"]
    assert session["token"] == token
    assert session["userId"] == signed_up["user"]["id"]
    assert session["impersonatedBy"] is None
    assert session["activeOrganizationId"] is None
    assert by_cookie.headers["cache-control"] == "no-store"
    assert by_cookie.headers["pragma"] == "no-cache"
    assert by_cookie.headers["access-control-expose-headers"] == "set-auth-jwt"
    assert by_cookie.headers["set-auth-jwt"].count(".") == 2
    assert "set-cookie" not in by_cookie.headers  # fresh session: no refresh

    # Bearer: the signed value as given by set-auth-token, URL-encoded, or the raw token.
    for bearer in (auth_token, quote(auth_token, safe=""), token):
        by_bearer = await client.get(
            "/api/auth/get-session", headers={"authorization": f"Bearer {bearer}"}
        )
        assert by_bearer.status_code == 200
        assert by_bearer.json() == body, bearer
    bad = await client.get(
        "/api/auth/get-session", headers={"authorization": f"Bearer {token}.{sign(token, 'x')}"}
    )
    assert bad.json() is None

    # No session: 200 with a JSON null body.
    none = await client.get("/api/auth/get-session")
    assert none.status_code == 200
    assert none.text == "null"
    assert none.headers["cache-control"] == "no-store"
    tampered = await client.get(
        "/api/auth/get-session",
        headers={"cookie": f"better-auth.session_token={token}.{quote(sign(token, 'x'))}"},
    )
    assert tampered.text == "null"
    assert "set-cookie" not in tampered.headers

    # The test route calls auth.api.getSession({headers}) in-process: same answer.
    helper = await client.get("/test/get-session", headers={"cookie": cookie})
    assert helper.json()["session"]["session"]["token"] == token


async def test_cookie_issued_outside_better_auth_is_accepted(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """A session row + cookie made the way FLTR makes them (Python, not Better Auth)."""
    user = (await sign_up(client)).json()["user"]
    token = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    now = datetime.now(UTC)
    await db.execute(
        "INSERT INTO sessions (id, expires_at, token, created_at, updated_at, ip_address,"
        " user_agent, user_id) VALUES ($1, $2, $3, $4, $4, '127.0.0.1', 'fltr', $5)",
        secrets.token_hex(16), now + timedelta(days=7), token, now, user["id"],
    )  # fmt: skip
    cookie = f"better-auth.session_token={quote(f'{token}.{sign(token)}', safe='')}"
    got = await client.get("/test/get-session", headers={"cookie": cookie})
    assert got.json()["session"]["user"]["id"] == user["id"]
    got = await client.get("/api/auth/get-session", headers={"cookie": cookie})
    assert got.json()["session"]["token"] == token
    # Better Auth's own signing helper gives the same value.
    signed = (await client.post("/test/sign-cookie", json={"value": token})).json()
    assert signed == {
        "signed": f"{token}.{sign(token)}",
        "encoded": quote(f"{token}.{sign(token)}", safe=""),
        "makeSignature": sign(token),
    }
    assert len(sign(token)) == 44
    assert sign(token).endswith("=")


async def test_session_refresh_and_expiry(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    cookie, _, body = await signed_in(client)
    token = body["token"]
    # Older than update_age (1 day): get-session pushes expiry to now + 7 days, re-sends cookie.
    await db.execute(
        "UPDATE sessions SET expires_at = now() + interval '5 days',"
        " updated_at = now() - interval '2 days' WHERE token = $1",
        token,
    )
    refreshed = await client.get("/api/auth/get-session", headers={"cookie": cookie})
    assert refreshed.status_code == 200
    [line] = set_cookies(refreshed)
    assert SESSION_COOKIE.match(line).group(1) == token  # type: ignore[union-attr]
    assert refreshed.headers["set-auth-token"] == f"{token}.{sign(token)}"
    row = await db.fetchrow("SELECT * FROM sessions WHERE token = $1", token)
    assert abs(row["expires_at"] - datetime.now(UTC) - timedelta(days=7)) < timedelta(seconds=10)

    # Expired: null, the three cookies cleared, the row deleted.
    await db.execute(
        "UPDATE sessions SET expires_at = now() - interval '1 minute' WHERE token = $1", token
    )
    expired = await client.get("/api/auth/get-session", headers={"cookie": cookie})
    assert expired.status_code == 200
    assert expired.text == "null"
    assert set_cookies(expired) == CLEARED_COOKIES
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE token = $1", token) == 0


async def test_sign_out_and_session_management(
    client: httpx.AsyncClient, server: str, db: asyncpg.Connection
) -> None:
    email = new_email()
    cookie, _, body = await signed_in(client, email=email)
    user_id = body["user"]["id"]
    origin = {"origin": server}
    second = await client.post(
        "/api/auth/sign-in/email", json={"email": email, "password": "password123"}
    )
    second_token = second.json()["token"]

    listed = await client.get("/api/auth/list-sessions", headers={"cookie": cookie})
    assert listed.status_code == 200
    sessions = listed.json()
    assert isinstance(sessions, list)
    assert len(sessions) == 2
    assert all(set(s) == SESSION_KEYS for s in sessions)
    assert [s["token"] for s in sessions] == [body["token"], second_token]  # oldest first
    unauth = await client.get("/api/auth/list-sessions")
    assert unauth.status_code == 401
    assert unauth.json() == error("UNAUTHORIZED", "Unauthorized")

    revoked = await client.post(
        "/api/auth/revoke-session",
        json={"token": second_token},
        headers={"cookie": cookie, **origin},
    )
    assert revoked.status_code == 200
    assert revoked.json() == {"status": True}
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE user_id = $1", user_id) == 1
    unknown = await client.post(
        "/api/auth/revoke-session", json={"token": "nope"}, headers={"cookie": cookie, **origin}
    )
    assert unknown.status_code == 200
    assert unknown.json() == {"status": True}

    for _ in range(2):
        await client.post(
            "/api/auth/sign-in/email", json={"email": email, "password": "password123"}
        )
    others = await client.post(
        "/api/auth/revoke-other-sessions", json={}, headers={"cookie": cookie, **origin}
    )
    assert others.status_code == 200
    assert others.json() == {"status": True}
    assert "set-cookie" not in others.headers
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE user_id = $1", user_id) == 1

    out = await client.post("/api/auth/sign-out", json={}, headers={"cookie": cookie, **origin})
    assert out.status_code == 200
    assert out.json() == {"success": True}
    assert set_cookies(out) == CLEARED_COOKIES
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE user_id = $1", user_id) == 0
    again = await client.post("/api/auth/sign-out", json={}, headers=origin)
    assert again.status_code == 200
    assert again.json() == {"success": True}

    cookie2, _, _ = await signed_in(client)
    everything = await client.post(
        "/api/auth/revoke-sessions", json={}, headers={"cookie": cookie2, **origin}
    )
    assert everything.status_code == 200
    assert everything.json() == {"status": True}
    assert set_cookies(everything) == CLEARED_COOKIES


async def test_update_user_and_change_password(
    client: httpx.AsyncClient, server: str, db: asyncpg.Connection
) -> None:
    email = new_email()
    cookie, _, body = await signed_in(client, email=email)
    token = body["token"]
    headers = {"cookie": cookie, "origin": server}
    updated = await client.post(
        "/api/auth/update-user", json={"name": "New Name", "image": None}, headers=headers
    )
    assert updated.status_code == 200
    assert updated.json() == {"status": True}
    [line] = set_cookies(updated)  # the session cookie is re-sent (same token)
    assert SESSION_COOKIE.match(line).group(1) == token  # type: ignore[union-attr]
    assert await db.fetchval("SELECT name FROM users WHERE id = $1", body["user"]["id"]) == (
        "New Name"
    )
    email_change = await client.post(
        "/api/auth/update-user", json={"email": "x@example.com"}, headers=headers
    )
    assert email_change.status_code == 400
    assert email_change.json() == error("EMAIL_CAN_NOT_BE_UPDATED", "Email can not be updated")
    role = await client.post("/api/auth/update-user", json={"role": "admin"}, headers=headers)
    assert role.status_code == 400
    assert role.json() == error("FIELD_NOT_ALLOWED", "role is not allowed to be set")

    wrong = await client.post(
        "/api/auth/change-password",
        json={"currentPassword": "not-it-123", "newPassword": "newpassword1"},
        headers=headers,
    )
    assert wrong.status_code == 400
    assert wrong.json() == error("INVALID_PASSWORD", "Invalid password")
    short = await client.post(
        "/api/auth/change-password",
        json={"currentPassword": "password123", "newPassword": "short"},
        headers=headers,
    )
    assert short.status_code == 400
    assert short.json() == error("PASSWORD_TOO_SHORT", "Password too short")
    changed = await client.post(
        "/api/auth/change-password",
        json={"currentPassword": "password123", "newPassword": "newpassword1"},
        headers=headers,
    )
    assert changed.status_code == 200
    assert list(changed.json()) == ["token", "user"]
    assert changed.json()["token"] is None
    assert changed.json()["user"]["name"] == "New Name"
    assert "set-cookie" not in changed.headers
    revoking = await client.post(
        "/api/auth/change-password",
        json={
            "currentPassword": "newpassword1",
            "newPassword": "password123",
            "revokeOtherSessions": True,
        },
        headers=headers,
    )
    assert revoking.status_code == 200
    new_token = revoking.json()["token"]
    assert new_token
    assert new_token != token
    assert SESSION_COOKIE.match(set_cookies(revoking)[0]).group(1) == new_token  # type: ignore[union-attr]
    assert await db.fetchval(
        "SELECT array_agg(token) FROM sessions WHERE user_id = $1", body["user"]["id"]
    ) == [new_token]


async def test_password_reset(
    client: httpx.AsyncClient, server: str, db: asyncpg.Connection
) -> None:
    email = new_email()
    _, _, body = await signed_in(client, email=email)
    await client.delete("/test/outbox")
    requested = await client.post(
        "/api/auth/request-password-reset", json={"email": email, "redirectTo": "/reset"}
    )
    assert requested.status_code == 200
    ok = {
        "status": True,
        "message": "If this email exists in our system, check your email for the reset link",
    }
    assert requested.json() == ok
    unknown = await client.post("/api/auth/request-password-reset", json={"email": new_email()})
    assert unknown.status_code == 200
    assert unknown.json() == ok
    [mail] = (await client.get("/test/outbox")).json()
    token = mail["token"]
    assert len(token) == 24
    assert set(token) <= ALNUM
    assert mail["url"] == f"{server}/api/auth/reset-password/{token}?callbackURL=%2Freset"
    row = await db.fetchrow(
        "SELECT * FROM verifications WHERE identifier = $1", f"reset-password:{token}"
    )
    assert row["value"] == body["user"]["id"]
    assert abs(row["expires_at"] - row["created_at"] - timedelta(hours=1)) < timedelta(seconds=2)

    link = await client.get(f"/api/auth/reset-password/{token}", params={"callbackURL": "/reset"})
    assert link.status_code == 302
    assert link.headers["location"] == f"{server}/reset?token={token}"
    bad_link = await client.get("/api/auth/reset-password/nope", params={"callbackURL": "/reset"})
    assert bad_link.status_code == 302
    assert bad_link.headers["location"] == f"{server}/reset?error=INVALID_TOKEN"

    bad = await client.post(
        "/api/auth/reset-password", json={"newPassword": "resetpass1", "token": "nope"}
    )
    assert bad.status_code == 400
    assert bad.json() == error("INVALID_TOKEN", "Invalid token")
    short = await client.post(
        "/api/auth/reset-password", json={"newPassword": "short", "token": token}
    )
    assert short.status_code == 400
    assert short.json() == error("PASSWORD_TOO_SHORT", "Password too short")
    done = await client.post(
        "/api/auth/reset-password", json={"newPassword": "resetpass1", "token": token}
    )
    assert done.status_code == 200
    assert done.json() == {"status": True}
    assert "set-cookie" not in done.headers
    user_id = body["user"]["id"]
    assert await db.fetchval("SELECT count(*) FROM verifications WHERE value = $1", user_id) == 0
    # Other sessions survive a reset (revokeSessionsOnPasswordReset is off by default).
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE user_id = $1", user_id) == 1
    signed = await client.post(
        "/api/auth/sign-in/email", json={"email": email, "password": "resetpass1"}
    )
    assert signed.status_code == 200


async def test_email_verification(
    client: httpx.AsyncClient, server: str, db: asyncpg.Connection
) -> None:
    email = new_email()
    _, _, body = await signed_in(client, email=email)
    user_id = body["user"]["id"]
    await client.delete("/test/outbox")
    sent = await client.post(
        "/api/auth/send-verification-email", json={"email": email, "callbackURL": "/verified"}
    )
    assert sent.status_code == 200
    assert sent.json() == {"status": True}
    unknown = await client.post("/api/auth/send-verification-email", json={"email": new_email()})
    assert unknown.status_code == 200
    assert unknown.json() == {"status": True}
    [mail] = (await client.get("/test/outbox")).json()
    token = mail["token"]
    assert mail["url"] == f"{server}/api/auth/verify-email?token={token}&callbackURL=%2Fverified"
    # The token is a stateless HS256 JWT signed with the secret (no verifications row).
    assert jwt.get_unverified_header(token) == {"alg": "HS256"}
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert set(claims) == {"email", "userId", "iat", "exp"}
    assert claims["email"] == email
    assert claims["userId"] == user_id
    assert claims["exp"] - claims["iat"] == 3600

    bad = await client.get("/api/auth/verify-email", params={"token": "nope"})
    assert bad.status_code == 401
    assert bad.json() == error("INVALID_TOKEN", "Invalid token")
    bad_cb = await client.get(
        "/api/auth/verify-email", params={"token": "nope", "callbackURL": "/verified"}
    )
    assert bad_cb.status_code == 302
    assert bad_cb.headers["location"] == "/verified?error=INVALID_TOKEN"
    ok = await client.get("/api/auth/verify-email", params={"token": token})
    assert ok.status_code == 200
    assert ok.json() == {"status": True, "user": None}
    assert "set-cookie" not in ok.headers  # autoSignInAfterVerification is off
    assert await db.fetchval("SELECT email_verified FROM users WHERE id = $1", user_id) is True
    again = await client.get(
        "/api/auth/verify-email", params={"token": token, "callbackURL": "/verified"}
    )
    assert again.status_code == 302
    assert again.headers["location"] == "/verified"


# -- Origin check --


async def test_origin_check(client: httpx.AsyncClient, server: str) -> None:
    email = new_email()
    cookie, auth_token, _ = await signed_in(client, email=email)

    async def sign_out(**headers: str) -> httpx.Response:
        return await client.post("/api/auth/sign-out", json={}, headers=headers)

    # A POST with a cookie must carry a trusted Origin (or Referer).
    foreign = await sign_out(cookie=cookie, origin=FOREIGN_ORIGIN)
    assert foreign.status_code == 403
    assert foreign.json() == error("INVALID_ORIGIN", "Invalid origin")
    missing = await sign_out(cookie=cookie)
    assert missing.status_code == 403
    assert missing.json() == error("MISSING_OR_NULL_ORIGIN", "Missing or null Origin")
    null = await sign_out(cookie=cookie, origin="null")
    assert null.json() == error("MISSING_OR_NULL_ORIGIN", "Missing or null Origin")
    foreign_referer = await sign_out(cookie=cookie, referer=FOREIGN_ORIGIN + "/page")
    assert foreign_referer.status_code == 403
    assert foreign_referer.json() == error("INVALID_ORIGIN", "Invalid origin")
    # Any cookie counts, even one that is not Better Auth's.
    other_cookie = await sign_out(cookie="theme=dark")
    assert other_cookie.status_code == 403
    assert other_cookie.json()["code"] == "MISSING_OR_NULL_ORIGIN"

    # Without a cookie, no Origin is needed (bearer clients, servers).
    bearer_foreign = await sign_out(authorization=f"Bearer {auth_token}", origin=FOREIGN_ORIGIN)
    assert bearer_foreign.status_code == 200
    # Sign-in/up also check an Origin/Referer when one is sent, cookie or not.
    foreign_sign_in = await client.post(
        "/api/auth/sign-in/email",
        json={"email": email, "password": "password123"},
        headers={"origin": FOREIGN_ORIGIN},
    )
    assert foreign_sign_in.status_code == 403
    assert foreign_sign_in.json() == error("INVALID_ORIGIN", "Invalid origin")
    cross_site = await client.post(
        "/api/auth/sign-in/email",
        json={"email": email, "password": "password123"},
        headers={"sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate"},
    )
    assert cross_site.status_code == 403
    assert cross_site.json()["code"] == "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED"
    foreign_sign_up = await client.post(
        "/api/auth/sign-up/email",
        json={"email": new_email(), "password": "password123", "name": "X"},
        headers={"origin": FOREIGN_ORIGIN},
    )
    assert foreign_sign_up.status_code == 403

    # Trusted: BETTER_AUTH_URL's origin and BETTER_AUTH_TRUSTED_ORIGINS.
    for origin in (EXTRA_ORIGIN, server):
        cookie, _, _ = await signed_in(client)
        ok = await sign_out(cookie=cookie, origin=origin)
        assert ok.status_code == 200, origin
    cookie, _, _ = await signed_in(client)
    assert (await sign_out(cookie=cookie, referer=f"{server}/settings")).status_code == 200
    # GET requests are never origin-checked.
    got = await client.get(
        "/api/auth/get-session", headers={"cookie": cookie, "origin": FOREIGN_ORIGIN}
    )
    assert got.status_code == 200


# -- JWT --


async def test_jwt_token_jwks_and_verification(
    client: httpx.AsyncClient, server: str, db: asyncpg.Connection
) -> None:
    cookie, auth_token, body = await signed_in(client)
    user = body["user"]
    response = await client.get("/api/auth/token", headers={"cookie": cookie})
    assert response.status_code == 200
    assert list(response.json()) == ["token"]
    token = response.json()["token"]
    unauth = await client.get("/api/auth/token")
    assert unauth.status_code == 401
    assert unauth.json() == error("UNAUTHORIZED", "Unauthorized")
    by_bearer = await client.get(
        "/api/auth/token", headers={"authorization": f"Bearer {auth_token}"}
    )
    assert by_bearer.status_code == 200

    jwks = (await client.get("/api/auth/jwks")).json()
    assert list(jwks) == ["keys"]
    [key] = jwks["keys"]
    assert list(key) == ["alg", "crv", "x", "kty", "kid"]
    assert key["alg"] == "EdDSA"
    assert key["crv"] == "Ed25519"
    assert key["kty"] == "OKP"
    assert len(base64.urlsafe_b64decode(key["x"] + "=")) == 32

    header = jwt.get_unverified_header(token)
    assert header == {"alg": "EdDSA", "kid": key["kid"]}
    claims = jwt.decode(
        token,
        jwt.PyJWK(key).key,
        algorithms=["EdDSA"],
        audience=server,
        issuer=server,
    )
    assert list(claims) == [
        "iat", "name", "email", "emailVerified", "image", "createdAt", "updatedAt", "role",
        "banned", "banReason", "banExpires", "username", "stripeCustomerId", "id", "sub", "exp",
        "iss", "aud",
    ]  # fmt: skip
    assert claims["sub"] == claims["id"] == user["id"]
    assert claims["exp"] - claims["iat"] == 900
    assert abs(claims["iat"] - time.time()) < 60
    assert claims["iss"] == claims["aud"] == server  # a string, not a list
    assert {k: claims[k] for k in user} == user

    # get-session's set-auth-jwt is the same kind of token.
    session_jwt = (await client.get("/api/auth/get-session", headers={"cookie": cookie})).headers[
        "set-auth-jwt"
    ]
    assert jwt.get_unverified_header(session_jwt)["kid"] == key["kid"]

    # Better Auth's own verifier (auth.api.verifyJWT) and jose + remote JWKS.
    for extra in ({}, {"jwks_url": f"{server}/api/auth/jwks"}):
        verdict = (await client.post("/test/verify-jwt", json={"token": token, **extra})).json()
        assert verdict["valid"] is True, verdict
        assert verdict["payload"]["sub"] == user["id"]
        head, payload, signature = token.split(".")
        forged_claims = {**b64url_json(payload), "role": "admin"}
        forged_payload = base64.urlsafe_b64encode(json.dumps(forged_claims).encode()).rstrip(b"=")
        for tampered in (
            f"{head}.{forged_payload.decode()}.{signature}",
            f"{head}.{payload}.{signature[:-4]}AAAA",
        ):
            verdict = (
                await client.post("/test/verify-jwt", json={"token": tampered, **extra})
            ).json()
            assert verdict["valid"] is False, verdict
    wrong_aud = (
        await client.post(
            "/test/verify-jwt",
            json={"token": token, "jwks_url": f"{server}/api/auth/jwks", "audience": "other"},
        )
    ).json()
    assert wrong_aud["valid"] is False
    assert "aud" in wrong_aud["error"]

    # The jwks row: public JWK as JSON text (no kid/alg), private key encrypted.
    row = await db.fetchrow("SELECT * FROM jwks WHERE id = $1", key["kid"])
    assert len(row["id"]) == 32
    assert json.loads(row["public_key"]) == {"crv": "Ed25519", "x": key["x"], "kty": "OKP"}
    assert row["alg"] == "EdDSA"
    assert row["crv"] == "Ed25519"
    assert row["expires_at"] is None
    stored = json.loads(row["private_key"])  # a JSON string holding hex
    assert isinstance(stored, str)
    assert re.fullmatch(r"[0-9a-f]+", stored)
    raw = bytes.fromhex(stored)
    private_jwk = json.loads(
        nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            raw[24:], None, raw[:24], hashlib.sha256(SECRET.encode()).digest()
        )
    )
    assert set(private_jwk) == {"crv", "d", "x", "kty"}
    assert private_jwk["x"] == key["x"]
    decrypted = (
        await client.post("/test/symmetric-decrypt", json={"key": SECRET, "data": stored})
    ).json()
    assert json.loads(decrypted["data"]) == private_jwk

    # A JWT signed in Python with that key is accepted by Better Auth's verifier.
    now = int(time.time())
    python_jwt = jwt.encode(
        {**user, "sub": user["id"], "iat": now, "exp": now + 900, "iss": server, "aud": server},
        jwt.PyJWK({**private_jwk, "alg": "EdDSA"}).key,
        algorithm="EdDSA",
        headers={"kid": key["kid"]},
    )
    verdict = (await client.post("/test/verify-jwt", json={"token": python_jwt})).json()
    assert verdict["valid"] is True, verdict


# -- Crypto primitives --


def python_hash(password: str) -> str:
    salt = os.urandom(16).hex()
    key = hashlib.scrypt(
        unicodedata.normalize("NFKC", password).encode(),
        salt=salt.encode(),
        n=16384,
        r=16,
        p=1,
        dklen=64,
        maxmem=64 * 1024 * 1024,
    )
    return f"{salt}:{key.hex()}"


def python_verify(stored: str, password: str) -> bool:
    salt, key = stored.split(":")
    derived = hashlib.scrypt(
        unicodedata.normalize("NFKC", password).encode(),
        salt=salt.encode(),
        n=16384,
        r=16,
        p=1,
        dklen=64,
        maxmem=64 * 1024 * 1024,
    )
    return hmac.compare_digest(derived.hex(), key)


async def test_password_hash_interop(client: httpx.AsyncClient) -> None:
    password = "pässwörd-Ⅻ-123"  # NFKC matters: "Ⅻ" normalises to "XII"
    theirs = (await client.post("/test/hash-password", json={"password": password})).json()
    assert re.fullmatch(r"[0-9a-f]{32}:[0-9a-f]{128}", theirs["hash"])
    assert python_verify(theirs["hash"], password)
    assert python_verify(theirs["hash"], unicodedata.normalize("NFKC", password))
    ours = python_hash(password)
    for attempt, expected in ((password, True), ("pässwörd-XII-123", True), ("nope", False)):
        verdict = await client.post(
            "/test/verify-password", json={"hash": ours, "password": attempt}
        )
        assert verdict.json() == {"valid": expected}, attempt


async def test_symmetric_encryption_interop(client: httpx.AsyncClient) -> None:
    encrypted = (
        await client.post("/test/symmetric-encrypt", json={"key": "k3y", "data": "hello"})
    ).json()["data"]
    raw = bytes.fromhex(encrypted)
    assert len(raw) == 24 + len("hello") + 16  # nonce || ciphertext || tag
    plain = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
        raw[24:], None, raw[:24], hashlib.sha256(b"k3y").digest()
    )
    assert plain == b"hello"
    nonce = os.urandom(24)
    ours = nonce + nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
        b"from python", None, nonce, hashlib.sha256(b"k3y").digest()
    )
    decrypted = await client.post(
        "/test/symmetric-decrypt", json={"key": "k3y", "data": ours.hex()}
    )
    assert decrypted.json() == {"data": "from python"}
    wrong = await client.post("/test/symmetric-decrypt", json={"key": "other", "data": ours.hex()})
    assert wrong.status_code == 400


# -- Organization plugin --


async def test_organization_plugin_uses_fltr_tables(
    client: httpx.AsyncClient, server: str, db: asyncpg.Connection
) -> None:
    cookie, _, body = await signed_in(client)
    user_id = body["user"]["id"]
    headers = {"cookie": cookie, "origin": server}
    slug = f"acme-{uuid.uuid4().hex[:8]}"
    created = await client.post(
        "/api/auth/organization/create", json={"name": "Acme", "slug": slug}, headers=headers
    )
    assert created.status_code == 200, created.text
    org = created.json()
    assert set(org) == {"id", "name", "slug", "logo", "createdAt", "members"}
    assert org["members"][0]["role"] == "owner"
    assert org["members"][0]["userId"] == user_id
    assert await db.fetchval("SELECT slug FROM organizations WHERE id = $1", org["id"]) == slug
    assert (
        await db.fetchval(
            "SELECT role FROM members WHERE organization_id = $1 AND user_id = $2",
            org["id"],
            user_id,
        )
        == "owner"
    )
    # With teams enabled a default team named after the organization is made, with the owner.
    team = await db.fetchrow("SELECT * FROM teams WHERE organization_id = $1", org["id"])
    assert team["name"] == "Acme"
    assert team["member_count"] == 1
    assert team["updated_at"] is None
    membership = await db.fetchrow("SELECT * FROM team_members WHERE team_id = $1", team["id"])
    assert membership["user_id"] == user_id
    key = base64.urlsafe_b64encode(
        hashlib.sha256(json.dumps([team["id"], user_id], separators=(",", ":")).encode()).digest()
    ).rstrip(b"=")
    assert membership["membership_key"] == key.decode()
    session = await db.fetchrow("SELECT * FROM sessions WHERE token = $1", body["token"])
    assert session["active_organization_id"] == org["id"]
    assert session["active_team_id"] == team["id"]

    invited = await client.post(
        "/api/auth/organization/invite-member",
        json={"email": new_email(), "role": "member", "organizationId": org["id"]},
        headers=headers,
    )
    assert invited.status_code == 200, invited.text
    invitation = await db.fetchrow("SELECT * FROM invitations WHERE id = $1", invited.json()["id"])
    assert invitation["status"] == "pending"
    assert invitation["inviter_id"] == user_id
    assert invitation["team_id"] is None
    lifetime = invitation["expires_at"] - invitation["created_at"]
    assert abs(lifetime - timedelta(days=2)) < timedelta(seconds=5)


# -- https base URL: cookie prefix --


async def test_https_base_url_uses_secure_prefix(database: dict[str, Any]) -> None:
    base = "https://auth.fltr.test"
    with better_auth_server(database["url"], SECRET, base_url=base) as url:
        async with httpx.AsyncClient(base_url=url, timeout=15) as plain:
            email = new_email()
            response = await sign_up(plain, email=email)
            plain.cookies.clear()
            token = response.json()["token"]
            value = quote(f"{token}.{sign(token)}", safe="")
            assert set_cookies(response) == [
                f"__Secure-better-auth.session_token={value}; Max-Age=604800; Path=/; HttpOnly;"
                " Secure; SameSite=Lax"
            ]
            prefixed = await plain.get(
                "/api/auth/get-session",
                headers={"cookie": f"__Secure-better-auth.session_token={value}"},
            )
            assert prefixed.json()["session"]["token"] == token
            # The unprefixed name is NOT read when the base URL is https.
            unprefixed = await plain.get(
                "/api/auth/get-session", headers={"cookie": f"better-auth.session_token={value}"}
            )
            assert unprefixed.text == "null"
            jwt_token = (
                await plain.get("/api/auth/token", headers={"authorization": f"Bearer {token}"})
            ).json()["token"]
            assert jwt.decode(jwt_token, options={"verify_signature": False})["iss"] == base
            out = await plain.post(
                "/api/auth/sign-out",
                json={},
                headers={"cookie": f"__Secure-better-auth.session_token={value}", "origin": base},
            )
            assert set_cookies(out) == [
                "__Secure-better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; Secure;"
                " SameSite=Lax",
                "__Secure-better-auth.session_data=; Max-Age=0; Path=/; HttpOnly; Secure;"
                " SameSite=Lax",
                "__Secure-better-auth.dont_remember=; Max-Age=0; Path=/; HttpOnly; Secure;"
                " SameSite=Lax",
            ]
