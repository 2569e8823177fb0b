"""Social sign-in as Better Auth 1.7.25 runs it (``signInSocial`` and ``callbackOAuth``).

Starting (``generateState``): a random 32-character state and a 128-character PKCE verifier;
the state is stored as the verification ``auth-state:<state>`` whose value is the JSON
``{callbackURL, codeVerifier, errorURL?, newUserURL?, expiresAt, oauthState}``, 10 minutes;
the router also sets the state, signed, in the ``better-auth.state`` cookie (5 minutes), which
binds the flow to the browser that started it.

Finishing (``parseState`` then ``handleOAuthUserInfo``):

- No state: to the error URL with ``error=state_not_found``. Unknown state, or a state cookie
  that does not match: ``state_mismatch`` (the row stays, as in Better Auth). Otherwise the
  row is deleted, and an expired one ends in ``state_mismatch`` too.
- Errors then go to the state's ``errorURL`` (the ``errorCallbackURL`` given at the start) or
  the default error URL, with ``?error=<code>[&error_description=...]``: the provider's own
  error, ``no_code``, ``oauth_provider_not_found``, ``invalid_code`` (token exchange failed),
  ``unable_to_get_user_info``, ``email_not_found``, ``account_not_linked``, ``BANNED_USER``.
- A known (provider, account id) signs its user in; its tokens are refreshed (scope is not,
  as in Better Auth). Else a user with the email is linked only if the provider is trusted or
  says the email is verified, *and* the local email is verified (``requireLocalEmailVerified``
  defaults to true). Else a user is created with the provider's ``emailVerified``.
- A banned user is refused before anything is written (Better Auth refuses at session
  creation, through the admin plugin's hook).

Never commits: the request's transaction does, so a refused sign-in still consumes its state.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.credentials.service import Client
from fltr_auth.errors import MESSAGES, AuthNotFound
from fltr_auth.security import ids
from fltr_auth.sessions import service as sessions
from fltr_auth.sessions.models import Session
from fltr_auth.sessions.service import SessionPolicy
from fltr_auth.social.providers import Profile, Provider, Tokens
from fltr_auth.social.schemas import OAuthState
from fltr_auth.users import repository as users_repository
from fltr_auth.users import service as users
from fltr_auth.users.models import DEFAULT_ROLE, Account, User
from fltr_auth.verifications import repository as verifications
from fltr_auth.verifications.models import Verification
from fltr_shared.db import utcnow

logger = logging.getLogger(__name__)

STATE_PREFIX = "auth-state:"  # @better-auth/core's getAuthStateVerificationIdentifier
STATE_LIFETIME = timedelta(minutes=10)
CALLBACK_PATH = "/api/auth/callback/"


@dataclass(frozen=True)
class SocialConfig:
    base_url: str  # BETTER_AUTH_URL: the default callbackURL and the redirect URI's base
    error_url: str  # where errors go when the flow has no errorCallbackURL
    providers: Mapping[str, Provider]
    trusted_providers: frozenset[str]

    def redirect_uri(self, provider_id: str) -> str:
        return f"{self.base_url}{CALLBACK_PATH}{provider_id}"


@dataclass(frozen=True)
class Started:
    url: str
    state: str


@dataclass(frozen=True)
class CallbackParams:
    code: str | None
    state: str | None
    error: str | None
    error_description: str | None


@dataclass(frozen=True)
class SignedIn:
    user: User
    session: Session
    is_new: bool


@dataclass(frozen=True)
class Finished:
    """Where the browser goes next, and what the response must carry."""

    redirect_to: str
    signed_in: SignedIn | None = None
    state_consumed: bool = False  # the state cookie has served its purpose: expire it


class _StateRefused(Exception):
    def __init__(self, code: str, error_url: str, *, consumed: bool = False) -> None:
        super().__init__(code)
        self.code = code
        self.error_url = error_url
        self.consumed = consumed


@dataclass(frozen=True)
class _Refused:
    code: str
    description: str | None = None


def new_state() -> str:
    """32 characters of ``[A-Za-z0-9_-]``, like Better Auth's ``generateRandomString(32)``."""
    return secrets.token_urlsafe(24)


def new_code_verifier() -> str:
    """128 characters of ``[A-Za-z0-9_-]`` (RFC 7636 allows 43 to 128)."""
    return secrets.token_urlsafe(96)


def append_query(url: str, params: Mapping[str, str]) -> str:
    """Better Auth's ``appendQueryParams``: keep the query, add ours, before any fragment."""
    parts = urlsplit(url)
    added = urlencode(params)
    if parts.query:
        added = parts.query + ("" if parts.query.endswith("&") else "&") + added
    return urlunsplit(parts._replace(query=added))


def _error_redirect(error_url: str, code: str, description: str | None = None) -> str:
    params = {"error": code}
    if description:
        params["error_description"] = description
    return append_query(error_url, params)


async def start(
    db: AsyncSession,
    config: SocialConfig,
    provider_id: str,
    *,
    callback_url: str | None,
    error_callback_url: str | None,
    new_user_callback_url: str | None,
    scopes: list[str] | None = None,
    login_hint: str | None = None,
) -> Started:
    """Store the state and return the provider's authorization URL (``signInSocial``)."""
    provider = config.providers.get(provider_id)
    if provider is None:
        raise AuthNotFound("PROVIDER_NOT_FOUND")
    state = new_state()
    code_verifier = new_code_verifier()
    now = utcnow()
    expires_at = now + STATE_LIFETIME
    value = OAuthState(
        callback_url=callback_url or config.base_url,
        code_verifier=code_verifier,
        error_url=error_callback_url or None,
        new_user_url=new_user_callback_url or None,
        expires_at=int(expires_at.timestamp() * 1000),
        oauth_state=state,
    )
    await verifications.add(
        db,
        Verification(
            id=ids.generate_id(),
            identifier=STATE_PREFIX + state,
            # JSON.stringify's form: no spaces, absent keys left out
            value=json.dumps(
                value.model_dump(by_alias=True, exclude_none=True), separators=(",", ":")
            ),
            expires_at=expires_at,
            created_at=now,
            updated_at=now,
        ),
    )
    url = provider.authorization_url_for(
        state=state,
        code_verifier=code_verifier,
        redirect_uri=config.redirect_uri(provider.id),
        scopes=scopes,
        login_hint=login_hint,
    )
    return Started(url=url, state=state)


async def _consume_state(
    db: AsyncSession, config: SocialConfig, state: str, cookie_state: str | None
) -> OAuthState:
    """Better Auth's ``parseGenericState`` with database storage."""
    row = await verifications.by_identifier(db, STATE_PREFIX + state) if len(state) <= 256 else None
    if row is None:
        raise _StateRefused("state_mismatch", config.error_url)
    try:
        data = OAuthState.model_validate_json(row.value)
    except ValidationError:
        logger.warning("unreadable OAuth state %s", row.id)
        raise _StateRefused("internal_server_error", config.error_url) from None
    error_url = data.error_url or config.error_url
    if data.oauth_state is not None and data.oauth_state != state:
        raise _StateRefused("state_mismatch", error_url)
    if cookie_state is None or not secrets.compare_digest(cookie_state, state):
        # Another browser than the one that started the flow (login CSRF): refuse, and keep
        # the row for the right one, as Better Auth does.
        raise _StateRefused("state_mismatch", error_url)
    await verifications.delete_by_identifier(db, STATE_PREFIX + state)
    now = utcnow()
    if data.expires_at < now.timestamp() * 1000 or row.expires_at <= now:
        raise _StateRefused("state_mismatch", error_url, consumed=True)
    return data


async def finish(
    db: AsyncSession,
    config: SocialConfig,
    policy: SessionPolicy,
    client: Client,
    provider_id: str,
    params: CallbackParams,
    cookie_state: str | None,
) -> Finished:
    """Handle the provider's redirect back (``callbackOAuth``); never raises for the user's
    mistakes or the provider's, but says where to send the browser."""
    if not params.state:
        return Finished(_error_redirect(config.error_url, "state_not_found"))
    try:
        state = await _consume_state(db, config, params.state, cookie_state)
    except _StateRefused as refused:
        return Finished(
            _error_redirect(refused.error_url, refused.code), state_consumed=refused.consumed
        )
    error_url = state.error_url or config.error_url

    def fail(code: str, description: str | None = None) -> Finished:
        return Finished(_error_redirect(error_url, code, description), state_consumed=True)

    if params.error:
        return fail(params.error, params.error_description)
    if not params.code:
        return fail("no_code")
    provider = config.providers.get(provider_id)
    if provider is None:
        return fail("oauth_provider_not_found")
    if state.link is not None:
        # linkSocial flows (a signed-in user adding a provider) are not offered by FLTR.
        return fail("unable_to_link_account")

    async with provider.client(config.redirect_uri(provider.id)) as http:
        try:
            tokens = await provider.exchange_code(
                http, code=params.code, code_verifier=state.code_verifier
            )
        except Exception:  # any failure of the exchange, as Better Auth: invalid_code
            logger.warning("%s token exchange failed", provider.id, exc_info=True)
            return fail("invalid_code")
        try:
            profile = await provider.fetch_profile(http, tokens)
        except Exception:
            logger.warning("%s profile request failed", provider.id, exc_info=True)
            profile = None
    if profile is None:
        return fail("unable_to_get_user_info")
    if not profile.email:
        return fail("email_not_found")

    outcome = await _sign_in(db, config, policy, client, provider.id, profile, tokens)
    if isinstance(outcome, _Refused):
        return fail(outcome.code, outcome.description)
    if outcome.is_new and state.new_user_url:
        return Finished(state.new_user_url, outcome, state_consumed=True)
    return Finished(state.callback_url, outcome, state_consumed=True)


async def _sign_in(
    db: AsyncSession,
    config: SocialConfig,
    policy: SessionPolicy,
    client: Client,
    provider_id: str,
    profile: Profile,
    tokens: Tokens,
) -> SignedIn | _Refused:
    """Better Auth's ``handleOAuthUserInfo`` with its default account-linking options."""
    assert profile.email is not None
    email = profile.email.strip().lower()
    now = utcnow()
    account = await users_repository.account_by_provider(db, provider_id, profile.account_id)
    is_new = False
    if account is not None:
        user = await users.get(db, account.user_id)
        if user is None:
            return _Refused("unable_to_link_account")
        if sessions.is_banned(user, now):
            return _Refused("BANNED_USER", MESSAGES["BANNED_USER"])
        _refresh_tokens(account, tokens, now)
        await db.flush()
        if profile.email_verified and not user.email_verified and email == user.email:
            await users.mark_email_verified(db, user)
    else:
        existing = await users.get_by_email(db, email)
        if existing is not None:
            user = existing
            trusted = provider_id in config.trusted_providers
            # An unverified email at the provider could be anyone's; an unverified local
            # email could be a squatter's: either way, linking would hand over the account.
            if (not trusted and not profile.email_verified) or not user.email_verified:
                return _Refused("account_not_linked")
            if sessions.is_banned(user, now):
                return _Refused("BANNED_USER", MESSAGES["BANNED_USER"])
            if not await _insert(db, _new_account(user.id, provider_id, profile, tokens, now)):
                return _Refused("unable_to_link_account")
        else:
            user = User(
                id=ids.generate_id(),
                name=profile.name,
                email=email,
                email_verified=profile.email_verified,
                image=profile.image,
                role=DEFAULT_ROLE,
                banned=False,
                created_at=now,
                updated_at=now,
            )
            account = _new_account(user.id, provider_id, profile, tokens, now)
            if not await _insert(db, user, account):
                return _Refused("unable_to_create_user")
            is_new = True
    session = await sessions.create(
        db, user, policy, ip_address=client.ip_address, user_agent=client.user_agent
    )
    return SignedIn(user=user, session=session, is_new=is_new)


async def _insert(db: AsyncSession, *rows: User | Account) -> bool:
    """Insert in a savepoint; False when a concurrent sign-in took the email or account."""
    try:
        async with db.begin_nested():
            for row in rows:  # one by one: the account's foreign key needs its user first
                await users_repository.add(db, row)
    except IntegrityError:
        logger.info("social sign-in lost a race for %s", type(rows[-1]).__name__)
        return False
    return True


def _new_account(
    user_id: str, provider_id: str, profile: Profile, tokens: Tokens, now: datetime
) -> Account:
    return Account(
        id=ids.generate_id(),
        account_id=profile.account_id,
        provider_id=provider_id,
        user_id=user_id,
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        id_token=tokens.id_token,
        access_token_expires_at=tokens.access_token_expires_at,
        refresh_token_expires_at=tokens.refresh_token_expires_at,
        # Better Auth stores the granted scopes comma-joined.
        scope=",".join(tokens.scopes),
        created_at=now,
        updated_at=now,
    )


def _refresh_tokens(account: Account, tokens: Tokens, now: datetime) -> None:
    """``updateAccountOnSignIn``: newer tokens replace stored ones; absent ones are kept."""
    fresh = {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "id_token": tokens.id_token,
        "access_token_expires_at": tokens.access_token_expires_at,
        "refresh_token_expires_at": tokens.refresh_token_expires_at,
    }
    for name, value in fresh.items():
        if value is not None:
            setattr(account, name, value)
    account.updated_at = now
