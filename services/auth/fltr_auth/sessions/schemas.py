"""Session bodies in Better Auth's shapes."""

from __future__ import annotations

from pydantic import Field

from fltr_auth.users.schemas import UserOut
from fltr_auth.wire import JsDate, WireModel


class SessionOut(WireModel):
    """Better Auth's session object, keys in its order."""

    expires_at: JsDate
    token: str
    created_at: JsDate
    updated_at: JsDate
    ip_address: str | None
    user_agent: str | None
    user_id: str
    impersonated_by: str | None
    active_organization_id: str | None
    active_team_id: str | None
    id: str


class SessionWithUser(WireModel):
    session: SessionOut
    user: UserOut


class SignInIn(WireModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=4096)
    callback_url: str | None = Field(None, alias="callbackURL", max_length=2048)
    remember_me: bool = True


class TokenUserOut(WireModel):
    """sign-up and sign-in answers: the new session's token and the user."""

    redirect: bool = False
    token: str
    url: str | None = None
    user: UserOut


class RevokeSessionIn(WireModel):
    token: str = Field(max_length=512)


class SuccessOut(WireModel):
    success: bool
