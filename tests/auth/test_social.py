"""Social sign-in as Better Auth 1.7.25 runs it, against a real OAuth provider on loopback.

The browser is played by hand: POST /sign-in/social, follow the URL to the provider (which
approves at once and redirects back with a code), then GET the callback with the cookies the
first answer set.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import func, select

from fltr_auth.app import create_app
from fltr_auth.security import cookies
from fltr_auth.sessions.models import Session
from fltr_auth.settings import AuthSettings
from fltr_auth.users.models import Account, User
from fltr_auth.verifications.models import Verification
from fltr_shared.db import utcnow
from tests.auth.helpers import sign_up
from tests.auth.social_support.provider import (
    CLIENT_ID,
    CLIENT_SECRETS,
    FakeProvider,
    FakeUser,
    Kind,
    serve_provider,
)
from tests.support import silent_socket_server

pytestmark = pytest.mark.core

STATE_COOKIE = "better-auth.state"
SESSION_COOKIE = "better-auth.session_token"
FRONTEND = "http://frontend.test"
DEFAULT_ERROR_URL = "http://auth.test/api/auth/error"
PROVIDER_ID: dict[Kind, str] = {"google": "google", "github": "github", "x": "twitter"}


@pytest.fixture(scope="session")
async def idp() -> AsyncIterator[FakeProvider]:
    async with serve_provider() as provider:
        yield provider


def provider_settings(auth_settings: AuthSettings, base: str, **extra: Any) -> AuthSettings:
    """The test settings with all three providers pointed at the loopback provider."""
    return auth_settings.model_copy(
        update={
            "google_client_id": CLIENT_ID,
            "google_client_secret": SecretStr(CLIENT_SECRETS["google"]),
            "google_authorization_url": f"{base}/google/authorize",
            "google_token_url": f"{base}/google/token",
            "google_userinfo_url": f"{base}/google/userinfo",
            "github_client_id": CLIENT_ID,
            "github_client_secret": SecretStr(CLIENT_SECRETS["github"]),
            "github_authorization_url": f"{base}/github/authorize",
            "github_token_url": f"{base}/github/token",
            "github_userinfo_url": f"{base}/github/user",
            "github_emails_url": f"{base}/github/user/emails",
            "twitter_client_id": CLIENT_ID,
            "twitter_client_secret": SecretStr(CLIENT_SECRETS["x"]),
            "twitter_authorization_url": f"{base}/x/authorize",
            "twitter_token_url": f"{base}/x/token",
            "twitter_userinfo_url": f"{base}/x/2/users/me",
            **extra,
        }
    )


@contextlib.asynccontextmanager
async def running_app(settings: AuthSettings, auth_app: FastAPI) -> AsyncIterator[FastAPI]:
    app = create_app(settings)  # provider settings differ from the session app's
    async with app.router.lifespan_context(app):
        app.state.db = auth_app.state.db  # share each test's rolled-back transaction
        yield app


@pytest.fixture(scope="session")
async def social_app(
    auth_settings: AuthSettings, auth_app: FastAPI, idp: FakeProvider
) -> AsyncIterator[FastAPI]:
    async with running_app(provider_settings(auth_settings, idp.url), auth_app) as app:
        yield app


@pytest.fixture
async def browser(
    auth_client: httpx.AsyncClient, social_app: FastAPI, idp: FakeProvider
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the social app, with a cookie jar like a browser's."""
    idp.reset()
    transport = httpx.ASGITransport(app=social_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://auth.test") as client:
        yield client


async def start(
    browser: httpx.AsyncClient, kind: Kind, **body: Any
) -> tuple[httpx.Response, dict[str, str]]:
    # The frontend's fetch, from its origin (needed once the browser holds a session cookie).
    response = await browser.post(
        "/api/auth/sign-in/social",
        json={"provider": PROVIDER_ID[kind], **body},
        headers={"Origin": FRONTEND},
    )
    assert response.status_code == 200, response.text
    query = {k: v[0] for k, v in parse_qs(urlsplit(response.json()["url"]).query).items()}
    return response, query


async def at_provider(url: str) -> str:
    """Follow the authorization URL like a browser; return where the provider sends it."""
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
    assert response.status_code == 302, response.text
    return response.headers["location"]


async def sign_in_with(browser: httpx.AsyncClient, kind: Kind, **body: Any) -> httpx.Response:
    """The whole flow; returns the callback's answer."""
    body.setdefault("callbackURL", f"{FRONTEND}/dashboard")
    started, _ = await start(browser, kind, **body)
    back = await at_provider(started.json()["url"])
    return await browser.get(back)


async def counts(app: FastAPI) -> tuple[int, int, int]:
    """Users, accounts, sessions: what a refused sign-in must leave as it was."""
    async with app.state.db.transaction() as db:
        return (
            (await db.execute(select(func.count()).select_from(User))).scalar_one(),
            (await db.execute(select(func.count()).select_from(Account))).scalar_one(),
            (await db.execute(select(func.count()).select_from(Session))).scalar_one(),
        )


async def user_by_email(app: FastAPI, email: str) -> User | None:
    async with app.state.db.transaction() as db:
        found = await db.execute(select(User).where(User.email == email.lower()))
        return found.scalar_one_or_none()


async def accounts_of(app: FastAPI, user_id: str) -> list[Account]:
    async with app.state.db.transaction() as db:
        found = await db.execute(
            select(Account).where(Account.user_id == user_id).order_by(Account.created_at)
        )
        return list(found.scalars())


async def state_row(app: FastAPI, state: str) -> Verification | None:
    async with app.state.db.transaction() as db:
        found = await db.execute(
            select(Verification).where(Verification.identifier == f"auth-state:{state}")
        )
        return found.scalar_one_or_none()


async def session_user(browser: httpx.AsyncClient, response: httpx.Response) -> dict[str, Any]:
    cookie = response.cookies.get(SESSION_COOKIE)
    assert cookie, response.headers
    got = await browser.get(
        "/api/auth/get-session", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"}
    )
    body = got.json()
    assert body is not None
    user: dict[str, Any] = body["user"]
    return user


def new_email() -> str:
    return f"social-{uuid.uuid4().hex[:10]}@Example.com"


def new_id() -> str:
    return str(uuid.uuid4().int % 10**9)


def error_of(response: httpx.Response) -> tuple[str, dict[str, str]]:
    """The error redirect's target (without query) and its query."""
    assert response.status_code == 302, response.text
    parts = urlsplit(response.headers["location"])
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return f"{parts.scheme}://{parts.netloc}{parts.path}", query


# --- starting -------------------------------------------------------------------------


async def test_sign_in_social_answers_with_the_authorization_url(
    browser: httpx.AsyncClient, social_app: FastAPI, auth_settings: AuthSettings, idp: FakeProvider
) -> None:
    response, query = await start(
        browser,
        "google",
        callbackURL="/dashboard",
        errorCallbackURL=f"{FRONTEND}/oops",
        newUserCallbackURL=f"{FRONTEND}/welcome",
    )
    body = response.json()
    assert body == {"url": body["url"], "redirect": True}
    assert body["url"].startswith(f"{idp.url}/google/authorize?")
    assert response.headers["location"] == body["url"]
    assert query["response_type"] == "code"
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == "http://auth.test/api/auth/callback/google"
    assert query["scope"] == "email profile openid"
    assert query["include_granted_scopes"] == "true"
    assert query["code_challenge_method"] == "S256"
    state = query["state"]
    assert len(state) == 32

    # The state cookie: signed like every Better Auth cookie, 5 minutes, HttpOnly, Lax.
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith(f"{STATE_COOKIE}=")
    for attribute in ("HttpOnly", "Max-Age=300", "Path=/", "SameSite=lax"):
        assert attribute in set_cookie
    secret = auth_settings.resolve_better_auth_secret().get_secret_value()
    assert cookies.verify_signed_value(response.cookies[STATE_COOKIE], secret) == state

    # The stored state: Better Auth's verification row and JSON, 10 minutes.
    row = await state_row(social_app, state)
    assert row is not None
    value = json.loads(row.value)
    assert list(value) == [
        "callbackURL",
        "codeVerifier",
        "errorURL",
        "newUserURL",
        "expiresAt",
        "oauthState",
    ]
    assert value["callbackURL"] == "/dashboard"
    assert value["errorURL"] == f"{FRONTEND}/oops"
    assert value["newUserURL"] == f"{FRONTEND}/welcome"
    assert value["oauthState"] == state
    assert len(value["codeVerifier"]) == 128
    challenge = hashlib.sha256(value["codeVerifier"].encode()).digest()
    assert query["code_challenge"] == base64.urlsafe_b64encode(challenge).rstrip(b"=").decode()
    expected_expiry = (utcnow() + timedelta(minutes=10)).timestamp() * 1000
    assert abs(value["expiresAt"] - expected_expiry) < 5000
    assert abs((row.expires_at - utcnow()) - timedelta(minutes=10)) < timedelta(seconds=5)


async def test_sign_in_social_defaults_and_disable_redirect(
    browser: httpx.AsyncClient, social_app: FastAPI, idp: FakeProvider
) -> None:
    response, query = await start(browser, "github", disableRedirect=True)
    assert response.json()["redirect"] is False
    assert "location" not in response.headers
    assert query["scope"] == "read:user user:email"
    assert query["code_challenge_method"] == "S256"  # Better Auth 1.7 sends PKCE to GitHub too
    row = await state_row(social_app, query["state"])
    assert row is not None
    # Without a callbackURL, Better Auth falls back to its base URL.
    assert json.loads(row.value)["callbackURL"] == "http://auth.test"
    assert "errorURL" not in json.loads(row.value)


@pytest.mark.parametrize("provider", ["myspace", "facebook", "GOOGLE", "__proto__"])
async def test_unknown_or_unconfigured_provider_is_404(
    browser: httpx.AsyncClient, social_app: FastAPI, provider: str
) -> None:
    before = await counts(social_app)
    response = await browser.post(
        "/api/auth/sign-in/social", json={"provider": provider, "callbackURL": "/"}
    )
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "PROVIDER_NOT_FOUND"
    assert body["message"] == "Provider not found"
    assert STATE_COOKIE not in response.headers.get("set-cookie", "")
    assert await counts(social_app) == before


@pytest.mark.parametrize(
    ("field", "code"),
    [
        ("callbackURL", "INVALID_CALLBACK_URL"),
        ("errorCallbackURL", "INVALID_ERROR_CALLBACK_URL"),
        ("newUserCallbackURL", "INVALID_NEW_USER_CALLBACK_URL"),
    ],
)
@pytest.mark.parametrize("url", ["https://evil.example/x", "//evil.example/x", "javascript:x"])
async def test_untrusted_redirect_targets_are_403(
    browser: httpx.AsyncClient, social_app: FastAPI, field: str, code: str, url: str
) -> None:
    async with social_app.state.db.transaction() as db:
        states_before = (
            await db.execute(select(func.count()).select_from(Verification))
        ).scalar_one()
    response = await browser.post(
        "/api/auth/sign-in/social", json={"provider": "google", field: url}
    )
    assert response.status_code == 403
    assert response.json()["code"] == code
    assert "set-cookie" not in response.headers
    async with social_app.state.db.transaction() as db:
        states_after = (
            await db.execute(select(func.count()).select_from(Verification))
        ).scalar_one()
    assert states_after == states_before


# --- new users ------------------------------------------------------------------------


async def test_new_google_user_is_created_and_signed_in(
    browser: httpx.AsyncClient, social_app: FastAPI, idp: FakeProvider
) -> None:
    fake = idp.log_in_as("google", FakeUser(id=f"g-{new_id()}", email=new_email()))
    started, query = await start(
        browser,
        "google",
        callbackURL=f"{FRONTEND}/dashboard",
        newUserCallbackURL=f"{FRONTEND}/welcome",
    )
    response = await browser.get(await at_provider(started.json()["url"]))

    assert response.status_code == 302, response.text
    assert response.headers["location"] == f"{FRONTEND}/welcome"
    set_cookies = response.headers.get_list("set-cookie")
    assert any(c.startswith(f"{STATE_COOKIE}=") and "Max-Age=0" in c for c in set_cookies)
    assert any(c.startswith(f"{SESSION_COOKIE}=") and "Max-Age=604800" in c for c in set_cookies)
    user = await session_user(browser, response)
    assert fake.email is not None
    assert user["email"] == fake.email.lower()
    assert user["emailVerified"] is True
    assert user["name"] == "Ada Lovelace"
    assert user["image"] == "https://images.example/ada.png"
    assert user["role"] == "developer"

    [account] = await accounts_of(social_app, user["id"])
    assert (account.provider_id, account.account_id) == ("google", fake.id)
    assert account.access_token
    assert account.refresh_token
    assert account.id_token
    assert account.access_token_expires_at is not None
    assert account.access_token_expires_at > utcnow() + timedelta(minutes=55)
    assert account.scope == "email,profile,openid"
    assert account.password is None
    assert await state_row(social_app, query["state"]) is None  # used once

    # The token request: client_secret_post, the redirect URI and the PKCE verifier.
    [token_request] = idp.token_requests
    assert token_request.form["client_secret"] == CLIENT_SECRETS["google"]
    assert token_request.form["redirect_uri"] == "http://auth.test/api/auth/callback/google"
    assert len(token_request.form["code_verifier"]) == 128


async def test_new_github_user_takes_the_verified_primary_email(
    browser: httpx.AsyncClient, social_app: FastAPI, idp: FakeProvider
) -> None:
    email = new_email()
    idp.log_in_as(
        "github",
        FakeUser(
            id=new_id(),
            email=email,
            name=None,
            login="octo-ada",
            other_emails=[{"email": "old@example.com", "primary": False, "verified": False}],
        ),
    )
    response = await sign_in_with(browser, "github")
    assert response.status_code == 302, response.text
    # No newUserCallbackURL: a new user lands on callbackURL.
    assert response.headers["location"] == f"{FRONTEND}/dashboard"
    user = await session_user(browser, response)
    assert user["email"] == email.lower()
    assert user["emailVerified"] is True
    assert user["name"] == "octo-ada"  # GitHub's login when the name is empty
    [account] = await accounts_of(social_app, user["id"])
    assert account.provider_id == "github"
    assert account.scope == "read:user,user:email"
    assert account.access_token_expires_at is None  # GitHub OAuth app tokens do not expire


async def test_github_user_with_unverified_email_is_created_unverified(
    browser: httpx.AsyncClient, idp: FakeProvider
) -> None:
    idp.log_in_as("github", FakeUser(id=new_id(), email=new_email(), email_verified=False))
    response = await sign_in_with(browser, "github")
    user = await session_user(browser, response)
    assert user["emailVerified"] is False


@pytest.mark.parametrize("confirmed", [True, False])
async def test_x_user_gets_the_confirmed_email_or_a_placeholder(
    browser: httpx.AsyncClient, idp: FakeProvider, confirmed: bool
) -> None:
    fake = idp.log_in_as("x", FakeUser(id=new_id(), email=new_email() if confirmed else None))
    response = await sign_in_with(browser, "x")
    user = await session_user(browser, response)
    if confirmed:
        assert fake.email is not None
        assert (user["email"], user["emailVerified"]) == (fake.email.lower(), True)
    else:
        # Better Auth's placeholder: X gives no email, the sign-in still works.
        assert user["email"] == f"{fake.id}@twitter.placeholder.invalid"
        assert user["emailVerified"] is False
    [token_request] = idp.token_requests
    assert token_request.authorization is not None
    assert token_request.authorization.startswith("Basic ")
    assert "client_secret" not in token_request.form


# --- returning and existing users ------------------------------------------------------


async def test_returning_user_signs_in_without_duplicates(
    browser: httpx.AsyncClient, social_app: FastAPI, idp: FakeProvider
) -> None:
    idp.log_in_as("google", FakeUser(id=f"g-{new_id()}", email=new_email()))
    first = await sign_in_with(browser, "google", newUserCallbackURL=f"{FRONTEND}/welcome")
    user = await session_user(browser, first)
    [account] = await accounts_of(social_app, user["id"])
    first_access_token = account.access_token
    users_before, accounts_before, sessions_before = await counts(social_app)

    second = await sign_in_with(browser, "google", newUserCallbackURL=f"{FRONTEND}/welcome")
    assert second.headers["location"] == f"{FRONTEND}/dashboard"  # not new any more
    assert (await session_user(browser, second))["id"] == user["id"]
    assert await counts(social_app) == (users_before, accounts_before, sessions_before + 1)
    [account] = await accounts_of(social_app, user["id"])
    assert account.access_token != first_access_token  # tokens refreshed on sign-in


async def test_verified_email_links_to_existing_email_password_user(
    browser: httpx.AsyncClient, social_app: FastAPI, idp: FakeProvider
) -> None:
    existing = await sign_up(browser, email=new_email())
    await mark_verified(social_app, existing.user["id"])
    idp.log_in_as("google", FakeUser(id=f"g-{new_id()}", email=existing.email.upper()))
    users_before, _, _ = await counts(social_app)

    response = await sign_in_with(browser, "google", newUserCallbackURL=f"{FRONTEND}/welcome")
    assert response.headers["location"] == f"{FRONTEND}/dashboard"
    assert (await session_user(browser, response))["id"] == existing.user["id"]
    accounts = await accounts_of(social_app, existing.user["id"])
    assert [a.provider_id for a in accounts] == ["credential", "google"]
    assert (await counts(social_app))[0] == users_before


@pytest.mark.parametrize(
    ("provider_verified", "local_verified"), [(False, True), (True, False), (False, False)]
)
async def test_no_link_without_both_emails_verified(
    browser: httpx.AsyncClient,
    social_app: FastAPI,
    idp: FakeProvider,
    provider_verified: bool,
    local_verified: bool,
) -> None:
    existing = await sign_up(browser, email=new_email())
    if local_verified:
        await mark_verified(social_app, existing.user["id"])
    idp.log_in_as(
        "google",
        FakeUser(id=f"g-{new_id()}", email=existing.email, email_verified=provider_verified),
    )
    before = await counts(social_app)
    response = await sign_in_with(browser, "google", errorCallbackURL=f"{FRONTEND}/oops")
    target, query = error_of(response)
    assert (target, query) == (f"{FRONTEND}/oops", {"error": "account_not_linked"})
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert await counts(social_app) == before
    assert [a.provider_id for a in await accounts_of(social_app, existing.user["id"])] == [
        "credential"
    ]


async def test_banned_user_gets_no_session(
    browser: httpx.AsyncClient, social_app: FastAPI, idp: FakeProvider
) -> None:
    idp.log_in_as("github", FakeUser(id=new_id(), email=new_email()))
    user = await session_user(browser, await sign_in_with(browser, "github"))
    async with social_app.state.db.transaction() as db:
        row = await db.get(User, user["id"])
        assert row is not None
        row.banned = True
    before = await counts(social_app)

    response = await sign_in_with(browser, "github", errorCallbackURL="/oops")
    assert response.headers["location"].startswith("/oops?")
    _, query = error_of(response)
    assert query["error"] == "BANNED_USER"
    assert query["error_description"] == "You have been banned from this application"
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert await counts(social_app) == before


# --- refused callbacks -----------------------------------------------------------------


async def test_callback_without_state(browser: httpx.AsyncClient, social_app: FastAPI) -> None:
    before = await counts(social_app)
    response = await browser.get("/api/auth/callback/google?code=abc")
    assert error_of(response) == (DEFAULT_ERROR_URL, {"error": "state_not_found"})
    assert await counts(social_app) == before


async def test_unknown_state_is_a_mismatch(
    browser: httpx.AsyncClient, social_app: FastAPI, idp: FakeProvider
) -> None:
    idp.log_in_as("google", FakeUser(id=f"g-{new_id()}", email=new_email()))
    started, _ = await start(browser, "google", errorCallbackURL=f"{FRONTEND}/oops")
    back = await at_provider(started.json()["url"])
    forged = back.replace("state=", "state=x")
    before = await counts(social_app)
    response = await browser.get(forged)
    # An unknown state carries no errorURL: Better Auth's own error page.
    assert error_of(response) == (DEFAULT_ERROR_URL, {"error": "state_mismatch"})
    assert await counts(social_app) == before
    assert idp.token_requests == []  # the code was never spent


async def test_state_from_another_browser_is_refused(
    browser: httpx.AsyncClient, social_app: FastAPI, idp: FakeProvider
) -> None:
    """Login CSRF: the victim's browser lacks the state cookie of the attacker's flow."""
    idp.log_in_as("google", FakeUser(id=f"g-{new_id()}", email=new_email()))
    started, query = await start(browser, "google", errorCallbackURL=f"{FRONTEND}/oops")
    back = await at_provider(started.json()["url"])
    before = await counts(social_app)
    transport = httpx.ASGITransport(app=social_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://auth.test") as victim:
        response = await victim.get(back)
    assert error_of(response) == (f"{FRONTEND}/oops", {"error": "state_mismatch"})
    assert await counts(social_app) == before
    assert idp.token_requests == []
    assert await state_row(social_app, query["state"]) is not None  # kept, as Better Auth


async def test_expired_state_is_refused_and_consumed(
    browser: httpx.AsyncClient, social_app: FastAPI, idp: FakeProvider
) -> None:
    idp.log_in_as("google", FakeUser(id=f"g-{new_id()}", email=new_email()))
    started, query = await start(browser, "google", errorCallbackURL=f"{FRONTEND}/oops")
    async with social_app.state.db.transaction() as db:
        row = (
            await db.execute(
                select(Verification).where(
                    Verification.identifier == f"auth-state:{query['state']}"
                )
            )
        ).scalar_one()
        value = json.loads(row.value)
        value["expiresAt"] = (utcnow() - timedelta(seconds=1)).timestamp() * 1000
        row.value = json.dumps(value)
    back = await at_provider(started.json()["url"])
    before = await counts(social_app)
    response = await browser.get(back)
    assert error_of(response) == (f"{FRONTEND}/oops", {"error": "state_mismatch"})
    assert await counts(social_app) == before
    assert idp.token_requests == []
    assert await state_row(social_app, query["state"]) is None


@pytest.mark.parametrize("kind", ["google", "github", "x"])
async def test_token_error_redirects_with_invalid_code(
    browser: httpx.AsyncClient, social_app: FastAPI, idp: FakeProvider, kind: Kind
) -> None:
    idp.log_in_as(kind, FakeUser(id=new_id(), email=new_email()))
    idp.fail_token.add(kind)
    before = await counts(social_app)
    response = await sign_in_with(browser, kind, errorCallbackURL=f"{FRONTEND}/oops?from=x")
    assert response.headers["location"] == f"{FRONTEND}/oops?from=x&error=invalid_code"
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert await counts(social_app) == before
    assert len(idp.token_requests) == 1


async def test_provider_error_is_passed_on(
    browser: httpx.AsyncClient, social_app: FastAPI, idp: FakeProvider
) -> None:
    idp.deny.add("github")
    before = await counts(social_app)
    response = await sign_in_with(browser, "github")
    # No errorCallbackURL: Better Auth's default error page, not the callbackURL.
    target, query = error_of(response)
    assert target == DEFAULT_ERROR_URL
    assert query == {"error": "access_denied", "error_description": "The user said no"}
    assert await counts(social_app) == before


async def test_a_provider_that_never_answers_times_out(
    auth_client: httpx.AsyncClient,
    auth_settings: AuthSettings,
    auth_app: FastAPI,
    idp: FakeProvider,
) -> None:
    idp.reset()
    idp.log_in_as("google", FakeUser(id=f"g-{new_id()}", email=new_email()))
    with silent_socket_server() as silent:
        settings = provider_settings(
            auth_settings, idp.url, google_token_url=silent, oauth_timeout_seconds=0.5
        )
        async with (
            running_app(settings, auth_app) as app,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://auth.test"
            ) as browser,
        ):
            before = await counts(app)
            response = await sign_in_with(browser, "google", errorCallbackURL="/oops")
            assert error_of(response)[1] == {"error": "invalid_code"}
            assert await counts(app) == before


async def test_provider_without_email_is_refused(
    browser: httpx.AsyncClient, social_app: FastAPI, idp: FakeProvider
) -> None:
    idp.log_in_as("github", FakeUser(id=new_id(), email=None))
    before = await counts(social_app)
    response = await sign_in_with(browser, "github", errorCallbackURL="/oops")
    assert error_of(response)[1] == {"error": "email_not_found"}
    assert await counts(social_app) == before


async def test_a_code_works_once(
    browser: httpx.AsyncClient, social_app: FastAPI, idp: FakeProvider
) -> None:
    idp.log_in_as("google", FakeUser(id=f"g-{new_id()}", email=new_email()))
    started, _ = await start(browser, "google", errorCallbackURL="/oops")
    back = await at_provider(started.json()["url"])
    assert (await browser.get(back)).headers["location"] == "http://auth.test"
    before = await counts(social_app)
    replay = await browser.get(back)
    assert error_of(replay) == (DEFAULT_ERROR_URL, {"error": "state_mismatch"})
    assert await counts(social_app) == before


# --- form_post and the error page ------------------------------------------------------


async def test_form_post_callback_is_redirected_to_the_get(browser: httpx.AsyncClient) -> None:
    response = await browser.post(
        "/api/auth/callback/google?iss=https://issuer",
        content="code=abc&state=xyz&ignored=1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 302
    target = urlsplit(response.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == (
        "http://auth.test/api/auth/callback/google"
    )
    assert parse_qs(target.query) == {"code": ["abc"], "state": ["xyz"], "iss": ["https://issuer"]}


async def test_error_page_escapes_what_it_shows(browser: httpx.AsyncClient) -> None:
    response = await browser.get(
        "/api/auth/error", params={"error": "<script>", "error_description": "<b>x</b>"}
    )
    assert response.status_code == 200
    assert "<script>" not in response.text
    assert "UNKNOWN" in response.text
    assert "&lt;b&gt;x&lt;/b&gt;" in response.text


async def mark_verified(app: FastAPI, user_id: str) -> None:
    async with app.state.db.transaction() as db:
        row = await db.get(User, user_id)
        assert row is not None
        row.email_verified = True
