"""Bodies of the social sign-in endpoints and the stored OAuth state, in Better Auth's shapes."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from fltr_auth.wire import WireModel


class SocialSignInIn(WireModel):
    """``POST /sign-in/social`` (Better Auth's ``socialSignInBodySchema``, without idToken)."""

    provider: str = Field(min_length=1, max_length=64)
    callback_url: str | None = Field(None, alias="callbackURL", max_length=2048)
    error_callback_url: str | None = Field(None, alias="errorCallbackURL", max_length=2048)
    new_user_callback_url: str | None = Field(None, alias="newUserCallbackURL", max_length=2048)
    disable_redirect: bool = False
    scopes: list[str] | None = Field(None, max_length=32)
    login_hint: str | None = Field(None, max_length=320)


class SocialSignInOut(WireModel):
    url: str
    redirect: bool


class OAuthState(WireModel):
    """The JSON in ``verifications.value`` under ``auth-state:<state>``.

    Better Auth's ``stateDataSchema`` is a loose object: keys FLTR does not use (``link``,
    ``serverContext``, ``additionalData``'s) are kept, so a state written by either side
    parses on both.
    """

    model_config = ConfigDict(extra="allow")

    callback_url: str = Field(alias="callbackURL")
    code_verifier: str
    error_url: str | None = Field(None, alias="errorURL")
    new_user_url: str | None = Field(None, alias="newUserURL")
    link: dict[str, Any] | None = None
    expires_at: int | float  # milliseconds since the epoch, as JavaScript's Date.now()
    oauth_state: str | None = None
