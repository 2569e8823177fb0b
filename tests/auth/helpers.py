"""Small helpers for the auth API tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

PASSWORD = "correct horse battery staple"
COOKIE = "better-auth.session_token"


@dataclass
class SignedUp:
    user: dict[str, Any]
    token: str
    signed: str  # token.sig, as in the set-auth-token header
    cookie: str  # the Set-Cookie value (URL-encoded signed token)
    email: str

    @property
    def cookies(self) -> dict[str, str]:
        """The session cookie as a request header (httpx deprecates per-request cookies)."""
        return {"Cookie": f"{COOKIE}={self.cookie}"}

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.signed}"}


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


async def sign_up(
    client: httpx.AsyncClient,
    email: str | None = None,
    password: str = PASSWORD,
    name: str = "Ada Lovelace",
    **extra: Any,
) -> SignedUp:
    email = email or unique_email()
    response = await client.post(
        "/api/auth/sign-up/email",
        json={"email": email, "password": password, "name": name, **extra},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    cookie = response.cookies.get(COOKIE)
    assert cookie
    client.cookies.clear()  # tests choose explicitly how to present the credential
    return SignedUp(body["user"], body["token"], response.headers["set-auth-token"], cookie, email)


async def sign_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, **extra: Any
) -> httpx.Response:
    response = await client.post(
        "/api/auth/sign-in/email", json={"email": email, "password": password, **extra}
    )
    client.cookies.clear()
    return response
