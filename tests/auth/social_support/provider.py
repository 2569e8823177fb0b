"""A small but real OAuth 2 / OpenID Connect provider, served over HTTP on loopback.

It speaks like the three providers FLTR offers, each under its own path prefix:

- ``/google``: OpenID Connect (authorize, token with ``client_secret_post`` and an RS256
  ID token, ``/userinfo``);
- ``/github``: GitHub's OAuth app flow (token errors come back as 200 with ``error``, like
  GitHub's), ``/user`` and ``/user/emails`` (both refuse requests without a User-Agent);
- ``/x``: X's OAuth 2 (``client_secret_basic``), ``/2/users/me`` with ``user.fields``.

Every flow checks what a real provider checks: the client id and secret, the redirect URI
(same at authorize and token time), single-use codes, and PKCE S256 when a challenge was
sent. The "user" is whoever the test says logs in next (:meth:`FakeProvider.log_in_as`); the
authorization endpoint approves at once and redirects back, as a consenting browser would.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from tests.support import serve_in_loop

Kind = Literal["google", "github", "x"]
CLIENT_ID = "fltr-test-client"
CLIENT_SECRETS: dict[Kind, str] = {
    "google": "google-test-secret",
    "github": "github-test-secret",
    "x": "x-test-secret",
}


@dataclass
class FakeUser:
    """A provider-side account. ``id`` is Google's ``sub``, GitHub's numeric id, X's id."""

    id: str
    email: str | None = None
    email_verified: bool = True
    name: str | None = "Ada Lovelace"
    login: str = "ada"  # GitHub and X handles
    picture: str | None = "https://images.example/ada.png"
    # GitHub: the public email is ``email`` only when this is true; /user/emails lists ``email``
    # (as primary) with ``email_verified``, then ``other_emails``.
    public_email: bool = False
    other_emails: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Grant:
    kind: Kind
    user: FakeUser
    redirect_uri: str
    scope: str
    code_challenge: str | None
    nonce: str | None


@dataclass
class TokenRequest:
    kind: Kind
    form: dict[str, str]
    authorization: str | None


class FakeProvider:
    """The provider's state; ``url`` is set once it is served."""

    def __init__(self) -> None:
        self.url = ""
        self.next_user: dict[Kind, FakeUser] = {}
        self.deny: set[Kind] = set()
        self.fail_token: set[Kind] = set()
        self.token_requests: list[TokenRequest] = []
        self._grants: dict[str, _Grant] = {}
        self._tokens: dict[str, tuple[Kind, FakeUser]] = {}
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.app = self._build_app()

    def log_in_as(self, kind: Kind, user: FakeUser) -> FakeUser:
        self.next_user[kind] = user
        return user

    def reset(self) -> None:
        self.next_user.clear()
        self.deny.clear()
        self.fail_token.clear()
        self.token_requests.clear()

    # --- endpoints ---------------------------------------------------------------------

    def _build_app(self) -> FastAPI:
        app = FastAPI()
        for kind in ("google", "github", "x"):
            app.add_api_route(f"/{kind}/authorize", self._authorize(kind), methods=["GET"])
            app.add_api_route(f"/{kind}/token", self._token(kind), methods=["POST"])
        app.add_api_route("/google/userinfo", self._google_userinfo, methods=["GET"])
        app.add_api_route("/github/user", self._github_user, methods=["GET"])
        app.add_api_route("/github/user/emails", self._github_emails, methods=["GET"])
        app.add_api_route("/x/2/users/me", self._x_me, methods=["GET"])
        return app

    def _authorize(self, kind: Kind) -> Any:
        async def authorize(request: Request) -> Response:
            q = request.query_params
            if q.get("client_id") != CLIENT_ID or not q.get("redirect_uri"):
                return JSONResponse({"error": "invalid_client"}, status_code=400)
            if q.get("response_type") != "code":
                return JSONResponse({"error": "unsupported_response_type"}, status_code=400)
            if q.get("code_challenge") and q.get("code_challenge_method") != "S256":
                return JSONResponse({"error": "invalid_request"}, status_code=400)
            back: dict[str, str] = {"state": q.get("state", "")}
            user = self.next_user.get(kind)
            if kind in self.deny or user is None:
                back |= {"error": "access_denied", "error_description": "The user said no"}
            else:
                code = secrets.token_urlsafe(24)
                self._grants[code] = _Grant(
                    kind=kind,
                    user=user,
                    redirect_uri=q["redirect_uri"],
                    scope=q.get("scope", ""),
                    code_challenge=q.get("code_challenge"),
                    nonce=q.get("nonce"),
                )
                back["code"] = code
            return RedirectResponse(f"{q['redirect_uri']}?{urlencode(back)}", status_code=302)

        return authorize

    def _token(self, kind: Kind) -> Any:
        async def token(request: Request) -> Response:
            form = dict(parse_qsl((await request.body()).decode()))
            authorization = request.headers.get("authorization")
            self.token_requests.append(TokenRequest(kind, form, authorization))
            if not self._client_authenticated(kind, form, authorization):
                return self._token_error(kind, "invalid_client", 401)
            grant = self._grants.pop(form.get("code", ""), None)  # codes are single-use
            if (
                kind in self.fail_token
                or form.get("grant_type") != "authorization_code"
                or grant is None
                or grant.kind != kind
                or grant.redirect_uri != form.get("redirect_uri")
                or not _pkce_ok(grant.code_challenge, form.get("code_verifier"))
            ):
                return self._token_error(kind, "invalid_grant", 400)
            access = secrets.token_urlsafe(24)
            self._tokens[access] = (kind, grant.user)
            body: dict[str, Any] = {"access_token": access, "token_type": "Bearer"}
            if kind == "google":
                body |= {
                    "expires_in": 3599,
                    "refresh_token": secrets.token_urlsafe(24),
                    "scope": grant.scope,
                    "id_token": self._id_token(grant),
                }
            elif kind == "github":
                body |= {"token_type": "bearer", "scope": "read:user,user:email"}
            else:
                body |= {
                    "expires_in": 7200,
                    "refresh_token": secrets.token_urlsafe(24),
                    "scope": grant.scope,
                }
            return JSONResponse(body)

        return token

    def _client_authenticated(
        self, kind: Kind, form: dict[str, str], authorization: str | None
    ) -> bool:
        secret = CLIENT_SECRETS[kind]
        if kind == "x":  # X wants HTTP Basic
            expected = base64.b64encode(f"{CLIENT_ID}:{secret}".encode()).decode()
            return authorization == f"Basic {expected}"
        return form.get("client_id") == CLIENT_ID and form.get("client_secret") == secret

    @staticmethod
    def _token_error(kind: Kind, error: str, status: int) -> Response:
        if kind == "github":  # GitHub answers 200 with the error in the body
            return JSONResponse({"error": "bad_verification_code", "error_description": error})
        return JSONResponse({"error": error}, status_code=status)

    def _id_token(self, grant: _Grant) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": f"{self.url}/google",
            "aud": CLIENT_ID,
            "sub": grant.user.id,
            "email": grant.user.email,
            "email_verified": grant.user.email_verified,
            "iat": now,
            "exp": now + 3600,
        }
        if grant.nonce:
            claims["nonce"] = grant.nonce
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": "test"})

    def _bearer(self, request: Request, kind: Kind) -> FakeUser | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        found = self._tokens.get(token) if scheme.lower() == "bearer" else None
        return found[1] if found and found[0] == kind else None

    async def _google_userinfo(self, request: Request) -> Response:
        user = self._bearer(request, "google")
        if user is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        claims: dict[str, Any] = {"sub": user.id, "name": user.name, "picture": user.picture}
        if user.email:
            claims |= {"email": user.email, "email_verified": user.email_verified}
        return JSONResponse(claims)

    def _github_guard(self, request: Request) -> FakeUser | Response:
        if not request.headers.get("user-agent"):
            return JSONResponse({"message": "User-Agent required"}, status_code=403)
        user = self._bearer(request, "github")
        if user is None:
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        return user

    async def _github_user(self, request: Request) -> Response:
        user = self._github_guard(request)
        if isinstance(user, Response):
            return user
        return JSONResponse(
            {
                "id": int(user.id),
                "login": user.login,
                "name": user.name,
                "email": user.email if user.public_email else None,
                "avatar_url": user.picture,
            }
        )

    async def _github_emails(self, request: Request) -> Response:
        user = self._github_guard(request)
        if isinstance(user, Response):
            return user
        emails = list(user.other_emails)
        if user.email:
            emails.insert(
                0,
                {
                    "email": user.email,
                    "primary": True,
                    "verified": user.email_verified,
                    "visibility": "private",
                },
            )
        return JSONResponse(emails)

    async def _x_me(self, request: Request) -> Response:
        user = self._bearer(request, "x")
        if user is None:
            return JSONResponse({"title": "Unauthorized", "status": 401}, status_code=401)
        fields = request.query_params.get("user.fields", "").split(",")
        data: dict[str, Any] = {"id": user.id, "name": user.name, "username": user.login}
        if "profile_image_url" in fields:
            data["profile_image_url"] = user.picture
        if "confirmed_email" in fields and user.email:
            data["confirmed_email"] = user.email
        return JSONResponse({"data": data})


def _pkce_ok(challenge: str | None, verifier: str | None) -> bool:
    if challenge is None:
        return True
    if not verifier:
        return False
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == challenge


@asynccontextmanager
async def serve_provider() -> AsyncIterator[FakeProvider]:
    """The provider, served over HTTP on a free loopback port in this event loop."""
    provider = FakeProvider()
    async with serve_in_loop(provider.app) as url:
        provider.url = url
        yield provider
