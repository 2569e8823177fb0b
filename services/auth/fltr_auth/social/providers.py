"""The OAuth providers FLTR offers, configured and mapped as Better Auth 1.7.25's are.

Each provider reproduces ``@better-auth/core/social-providers/<id>``: the default scopes, the
token endpoint's client authentication, PKCE (S256; Better Auth sends a code challenge to all
three), and how the provider's profile becomes Better Auth's user info (account id, email,
emailVerified, name, image). The HTTP work is Authlib's ``AsyncOAuth2Client`` on httpx.

Differences, on purpose:

- Google: Better Auth decodes the ID token returned by the token endpoint; FLTR asks the
  OpenID Connect userinfo endpoint (the same claims) and, when an ID token came too, checks
  that both name the same ``sub`` (OIDC Core 5.3.2).
"""

from __future__ import annotations

import abc
import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal

import jwt
from authlib.deprecate import AuthlibDeprecationWarning  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri  # type: ignore[import-untyped]
from authlib.oauth2.rfc7636 import create_s256_code_challenge  # type: ignore[import-untyped]
from pydantic import SecretStr

from fltr_auth.settings import AuthSettings
from fltr_shared.db import utcnow

with warnings.catch_warnings():
    # Authlib 1.9 deprecates running its httpx integration on httpx instead of the httpx2
    # package, and says so once, on import; httpx is what this workspace ships.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import (  # type: ignore[import-untyped]
        AsyncOAuth2Client,
    )

logger = logging.getLogger(__name__)

TokenAuthMethod = Literal["client_secret_post", "client_secret_basic"]
# Better Auth's createPlaceholderEmail: a stable, non-routable address (RFC 6761 ".invalid").
PLACEHOLDER_EMAIL_DOMAIN = "placeholder.invalid"


@dataclass(frozen=True)
class Tokens:
    """A token response, as Better Auth's ``getOAuth2Tokens`` reads it."""

    access_token: str | None
    refresh_token: str | None
    id_token: str | None
    access_token_expires_at: datetime | None
    refresh_token_expires_at: datetime | None
    scopes: list[str]

    @classmethod
    def from_response(cls, data: Mapping[str, Any]) -> Tokens:
        now = utcnow()

        def expiry(key: str) -> datetime | None:
            # Seconds from now; some providers send them as a string, which JavaScript's
            # arithmetic in Better Auth accepts too.
            raw = data.get(key)
            if isinstance(raw, bool) or not isinstance(raw, int | float | str):
                return None
            try:
                seconds = float(raw)
            except ValueError:
                return None
            return now + timedelta(seconds=seconds) if 0 < seconds < 10**9 else None

        return cls(
            access_token=_str_or_none(data.get("access_token")),
            refresh_token=_str_or_none(data.get("refresh_token")),
            id_token=_str_or_none(data.get("id_token")),
            access_token_expires_at=expiry("expires_in"),
            refresh_token_expires_at=expiry("refresh_token_expires_in"),
            scopes=parse_scopes(data.get("scope")),
        )


@dataclass(frozen=True)
class Profile:
    """What a provider says about its user (Better Auth's ``userInfo`` plus the account key)."""

    account_id: str
    email: str | None
    email_verified: bool
    name: str
    image: str | None


@dataclass(frozen=True, kw_only=True)
class Provider(abc.ABC):
    """One configured OAuth 2 provider."""

    id: ClassVar[str]
    default_scopes: ClassVar[tuple[str, ...]]
    token_auth_method: ClassVar[TokenAuthMethod] = "client_secret_post"  # noqa: S105 (a method)
    # Better Auth passes a code verifier to every built-in provider's authorization URL.
    pkce: ClassVar[bool] = True

    client_id: str
    client_secret: SecretStr
    authorization_url: str
    token_url: str
    timeout: float
    extra_authorization_params: Mapping[str, str] = field(default_factory=dict)

    def authorization_url_for(
        self,
        *,
        state: str,
        code_verifier: str,
        redirect_uri: str,
        scopes: list[str] | None = None,
        login_hint: str | None = None,
    ) -> str:
        """The URL the browser is sent to (Better Auth's ``createAuthorizationURL``)."""
        params: dict[str, str] = {}
        if login_hint:
            params["login_hint"] = login_hint
        if self.pkce:
            params["code_challenge"] = create_s256_code_challenge(code_verifier)
            params["code_challenge_method"] = "S256"
        params.update(self.extra_authorization_params)
        url: str = prepare_grant_uri(
            self.authorization_url,
            client_id=self.client_id,
            response_type="code",
            redirect_uri=redirect_uri,
            scope=[*self.default_scopes, *(scopes or [])],
            state=state,
            **params,
        )
        return url

    def client(self, redirect_uri: str) -> Any:
        """An Authlib client for the token exchange and the profile calls.

        Redirects are not followed: Better Auth refuses them on server-side OAuth fetches, so
        a provider endpoint cannot bounce the request (and the client secret) elsewhere.
        """
        return AsyncOAuth2Client(
            client_id=self.client_id,
            client_secret=self.client_secret.get_secret_value(),
            token_endpoint_auth_method=self.token_auth_method,
            redirect_uri=redirect_uri,
            timeout=self.timeout,
            follow_redirects=False,
        )

    async def exchange_code(self, http: Any, *, code: str, code_verifier: str | None) -> Tokens:
        """Trade the authorization code for tokens; raises on any provider error."""
        extra = {"code_verifier": code_verifier} if self.pkce and code_verifier else {}
        data = await http.fetch_token(self.token_url, code=code, **extra)
        return Tokens.from_response(data)

    @abc.abstractmethod
    async def fetch_profile(self, http: Any, tokens: Tokens) -> Profile | None:
        """The provider's user, or None when it will not say (Better Auth's ``getUserInfo``)."""


@dataclass(frozen=True, kw_only=True)
class Google(Provider):
    """Better Auth's ``google``: scopes email profile openid, ``include_granted_scopes``."""

    id: ClassVar[str] = "google"
    default_scopes: ClassVar[tuple[str, ...]] = ("email", "profile", "openid")

    userinfo_url: str

    async def fetch_profile(self, http: Any, tokens: Tokens) -> Profile | None:
        claims = await _get_json(http, self.userinfo_url)
        if not isinstance(claims, dict) or not _str_or_none(claims.get("sub")):
            return None
        if tokens.id_token and _id_token_subject(tokens.id_token) != claims["sub"]:
            logger.warning("google userinfo names another subject than the ID token")
            return None
        return Profile(
            account_id=str(claims["sub"]),
            email=_str_or_none(claims.get("email")),
            email_verified=parse_bool(claims.get("email_verified")),
            name=_str_or_none(claims.get("name")) or "",
            image=_str_or_none(claims.get("picture")),
        )


@dataclass(frozen=True, kw_only=True)
class GitHub(Provider):
    """Better Auth's ``github``: /user, then /user/emails for the primary address.

    The email is the profile's public one, else the primary (else the first) listed address;
    it counts as verified only if /user/emails lists that address as verified.
    """

    id: ClassVar[str] = "github"
    default_scopes: ClassVar[tuple[str, ...]] = ("read:user", "user:email")

    userinfo_url: str
    emails_url: str

    async def fetch_profile(self, http: Any, tokens: Tokens) -> Profile | None:
        # GitHub's API refuses requests without a User-Agent.
        headers = {"User-Agent": "better-auth", "Accept": "application/json"}
        profile = await _get_json(http, self.userinfo_url, headers=headers)
        if not isinstance(profile, dict) or profile.get("id") in (None, ""):
            return None
        try:
            emails = await _get_json(http, self.emails_url, headers=headers)
        except Exception:  # Better Auth ignores a failed /user/emails, as here
            logger.warning("github /user/emails failed", exc_info=True)
            emails = None
        listed = [e for e in emails if isinstance(e, dict)] if isinstance(emails, list) else []
        email = _str_or_none(profile.get("email"))
        if email is None and listed:
            chosen = next((e for e in listed if e.get("primary")), listed[0])
            email = _str_or_none(chosen.get("email"))
        verified = next(
            (e.get("verified") is True for e in listed if e.get("email") == email), False
        )
        return Profile(
            account_id=str(profile["id"]),
            email=email,
            email_verified=verified,
            name=_str_or_none(profile.get("name")) or _str_or_none(profile.get("login")) or "",
            image=_str_or_none(profile.get("avatar_url")),
        )


@dataclass(frozen=True, kw_only=True)
class Twitter(Provider):
    """Better Auth's ``twitter`` (X): HTTP Basic client authentication, /2/users/me.

    X gives an email only through ``confirmed_email`` (scope ``users.email``); such an
    address counts as verified. Without one, Better Auth makes the placeholder
    ``<id>@twitter.placeholder.invalid`` (unverified), so the sign-in still succeeds.
    """

    id: ClassVar[str] = "twitter"
    default_scopes: ClassVar[tuple[str, ...]] = (
        "users.read",
        "tweet.read",
        "offline.access",
        "users.email",
    )
    token_auth_method: ClassVar[TokenAuthMethod] = "client_secret_basic"  # noqa: S105 (a method)

    userinfo_url: str

    async def fetch_profile(self, http: Any, tokens: Tokens) -> Profile | None:
        body = await _get_json(http, self.userinfo_url, params={"user.fields": "profile_image_url"})
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or not _str_or_none(data.get("id")):
            return None
        try:
            with_email = await _get_json(
                http, self.userinfo_url, params={"user.fields": "confirmed_email"}
            )
        except Exception:  # an app without email access: fall back to the placeholder
            with_email = None
        email_data = with_email.get("data") if isinstance(with_email, dict) else None
        confirmed = (
            _str_or_none(email_data.get("confirmed_email"))
            if isinstance(email_data, dict)
            else None
        )
        account_id = str(data["id"])
        return Profile(
            account_id=account_id,
            email=confirmed or f"{account_id}@twitter.{PLACEHOLDER_EMAIL_DOMAIN}",
            email_verified=confirmed is not None,
            name=_str_or_none(data.get("name")) or "",
            image=_str_or_none(data.get("profile_image_url")),
        )


def configured(settings: AuthSettings) -> dict[str, Provider]:
    """The providers whose client id and secret are both set, by id."""
    found: list[Provider] = []
    timeout = settings.oauth_timeout_seconds
    if settings.google_client_id and settings.google_client_secret:
        found.append(
            Google(
                client_id=settings.google_client_id,
                client_secret=settings.google_client_secret,
                authorization_url=settings.google_authorization_url,
                token_url=settings.google_token_url,
                timeout=timeout,
                extra_authorization_params={"include_granted_scopes": "true"},
                userinfo_url=settings.google_userinfo_url,
            )
        )
    if settings.github_client_id and settings.github_client_secret:
        found.append(
            GitHub(
                client_id=settings.github_client_id,
                client_secret=settings.github_client_secret,
                authorization_url=settings.github_authorization_url,
                token_url=settings.github_token_url,
                timeout=timeout,
                userinfo_url=settings.github_userinfo_url,
                emails_url=settings.github_emails_url,
            )
        )
    if settings.twitter_client_id and settings.twitter_client_secret:
        found.append(
            Twitter(
                client_id=settings.twitter_client_id,
                client_secret=settings.twitter_client_secret,
                authorization_url=settings.twitter_authorization_url,
                token_url=settings.twitter_token_url,
                timeout=timeout,
                userinfo_url=settings.twitter_userinfo_url,
            )
        )
    return {provider.id: provider for provider in found}


def parse_scopes(value: object) -> list[str]:
    """Better Auth's ``parseScopeField``: a space-delimited string or a list of strings."""
    if isinstance(value, list):
        return [s.strip() for s in value if isinstance(s, str) and s.strip()]
    if isinstance(value, str):
        return value.split()
    return []


def parse_bool(value: object) -> bool:
    """Better Auth's ``parseStringBoolean``: ``true`` or ``"true"``; anything else is false."""
    return value is True or value == "true"


async def _get_json(
    http: Any,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
) -> object:
    response = await http.get(url, headers=dict(headers or {}), params=dict(params or {}))
    response.raise_for_status()
    body: object = response.json()
    return body


def _id_token_subject(id_token: str) -> object:
    # The ID token came straight from the token endpoint over the back channel, which OIDC
    # Core 3.1.3.7 accepts in place of a signature check; only its subject is compared.
    try:
        return jwt.decode(id_token, options={"verify_signature": False}).get("sub")
    except jwt.PyJWTError:
        return None


def _str_or_none(value: object) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None
