"""Email verification and password reset: real SMTP, single-use, expiring tokens."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from fltr_auth.verifications.models import Verification
from fltr_shared.db import utcnow
from tests.auth.helpers import sign_in, sign_up, unique_email
from tests.mail import Mailbox, link_in
from tests.support import TEST_BETTER_AUTH_SECRET

pytestmark = pytest.mark.core


def path_and_query(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


async def test_verification_link_verifies_once(
    auth_client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    account = await sign_up(auth_client)
    sent = await auth_client.post(
        "/api/auth/send-verification-email", json={"email": account.email}
    )
    assert sent.json() == {"status": True}
    link = link_in(await mailbox.wait_for(account.email, "Verify"))
    token = parse_qs(urlsplit(link).query)["token"][0]
    assert (
        jwt.decode(token, TEST_BETTER_AUTH_SECRET, algorithms=["HS256"])["email"] == account.email
    )

    first = await auth_client.get(path_and_query(link))
    assert first.status_code == 200
    assert first.json() == {"status": True, "user": None}
    session = (await auth_client.get("/api/auth/get-session", headers=account.bearer)).json()
    assert session["user"]["emailVerified"] is True

    again = await auth_client.get(path_and_query(link))
    assert again.status_code == 400
    assert again.json()["code"] == "EMAIL_ALREADY_VERIFIED"


async def test_expired_or_forged_verification_tokens(auth_client: httpx.AsyncClient) -> None:
    account = await sign_up(auth_client)
    now = int(utcnow().timestamp())
    expired = jwt.encode(
        {"email": account.email, "iat": now - 7200, "exp": now - 3600},
        TEST_BETTER_AUTH_SECRET,
        algorithm="HS256",
    )
    response = await auth_client.get("/api/auth/verify-email", params={"token": expired})
    assert response.status_code == 401
    assert response.json()["code"] == "TOKEN_EXPIRED"
    forged = jwt.encode(
        {"email": account.email, "exp": now + 3600}, "not-the-secret-but-long-enough-32", "HS256"
    )
    response = await auth_client.get("/api/auth/verify-email", params={"token": forged})
    assert response.status_code == 401
    assert response.json()["code"] == "INVALID_TOKEN"
    session = (await auth_client.get("/api/auth/get-session", headers=account.bearer)).json()
    assert session["user"]["emailVerified"] is False


async def test_unknown_address_gets_the_same_answer_and_no_email(
    auth_client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    stranger = unique_email("stranger")
    verify = await auth_client.post("/api/auth/send-verification-email", json={"email": stranger})
    reset = await auth_client.post("/api/auth/request-password-reset", json={"email": stranger})
    account = await sign_up(auth_client)
    known = await auth_client.post(
        "/api/auth/request-password-reset", json={"email": account.email}
    )
    assert verify.json() == {"status": True}
    assert reset.status_code == known.status_code == 200
    assert reset.json() == known.json()
    await mailbox.wait_for(account.email, "Reset")
    assert mailbox.sent_to(stranger) == []


async def test_password_reset_flow(auth_client: httpx.AsyncClient, mailbox: Mailbox) -> None:
    account = await sign_up(auth_client)
    await auth_client.post(
        "/api/auth/request-password-reset",
        json={"email": account.email, "redirectTo": "http://frontend.test/reset"},
    )
    link = link_in(await mailbox.wait_for(account.email, "Reset"))
    followed = await auth_client.get(path_and_query(link))
    assert followed.status_code == 302
    location = followed.headers["location"]
    assert location.startswith("http://frontend.test/reset?token=")
    token = parse_qs(urlsplit(location).query)["token"][0]

    short = await auth_client.post(
        "/api/auth/reset-password", json={"token": token, "newPassword": "short"}
    )
    assert short.json()["code"] == "PASSWORD_TOO_SHORT"
    done = await auth_client.post(
        "/api/auth/reset-password", json={"token": token, "newPassword": "the new password!"}
    )
    assert done.json() == {"status": True}
    assert (await sign_in(auth_client, account.email, "the new password!")).status_code == 200
    reused = await auth_client.post(
        "/api/auth/reset-password", json={"token": token, "newPassword": "another new one!"}
    )
    assert reused.status_code == 400
    assert reused.json()["code"] == "INVALID_TOKEN"
    assert (await sign_in(auth_client, account.email, "the new password!")).status_code == 200


async def test_expired_reset_token_is_refused(
    auth_client: httpx.AsyncClient, auth_app: FastAPI, mailbox: Mailbox
) -> None:
    account = await sign_up(auth_client)
    await auth_client.post("/api/auth/request-password-reset", json={"email": account.email})
    link = link_in(await mailbox.wait_for(account.email, "Reset"))
    token = urlsplit(link).path.rsplit("/", 1)[1]
    async with auth_app.state.db.transaction() as db:
        row = (
            await db.execute(
                select(Verification).where(Verification.identifier == f"reset-password:{token}")
            )
        ).scalar_one()
        row.expires_at = utcnow() - timedelta(seconds=1)
    followed = await auth_client.get(
        f"/api/auth/reset-password/{token}", params={"callbackURL": "/reset"}
    )
    assert followed.headers["location"] == "http://auth.test/reset?error=INVALID_TOKEN"
    response = await auth_client.post(
        "/api/auth/reset-password", json={"token": token, "newPassword": "the new password!"}
    )
    assert response.status_code == 400
    assert (await sign_in(auth_client, account.email)).status_code == 200


async def test_redirects_only_to_trusted_origins(auth_client: httpx.AsyncClient) -> None:
    account = await sign_up(auth_client)
    evil = await auth_client.post(
        "/api/auth/request-password-reset",
        json={"email": account.email, "redirectTo": "https://evil.example/steal"},
    )
    assert evil.status_code == 403
    assert evil.json()["code"] == "INVALID_REDIRECT_URL"
    for target in ("//evil.example/x", "https://evil.example"):
        response = await auth_client.get(
            "/api/auth/reset-password/whatever", params={"callbackURL": target}
        )
        assert response.status_code == 403
