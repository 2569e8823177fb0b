"""Request and response bodies of the user endpoints, in Better Auth's shapes."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from fltr_auth.wire import JsDate, WireModel


class UserOut(WireModel):
    """Better Auth's user object, keys in its order (JWT claims follow it byte for byte)."""

    name: str
    email: str
    email_verified: bool
    image: str | None
    created_at: JsDate
    updated_at: JsDate
    role: str
    banned: bool | None
    ban_reason: str | None
    ban_expires: JsDate | None
    username: str | None
    stripe_customer_id: str | None
    id: str


class SignUpIn(WireModel):
    model_config = ConfigDict(extra="allow")  # to refuse fields Better Auth refuses, by name

    name: str = Field(min_length=1, max_length=200)
    # Length and format are checked by the service, to answer with Better Auth's codes.
    email: str = Field(max_length=320)
    password: str = Field(max_length=4096)
    image: str | None = Field(None, max_length=2048)
    username: str | None = Field(None, min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    callback_url: str | None = Field(None, alias="callbackURL", max_length=2048)
    remember_me: bool = True


class UpdateUserIn(WireModel):
    model_config = ConfigDict(extra="allow")  # to refuse fields Better Auth refuses, by name

    name: str | None = Field(None, min_length=1, max_length=200)
    image: str | None = Field(None, max_length=2048)
    username: str | None = Field(None, min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")


class ChangePasswordIn(WireModel):
    new_password: str = Field(max_length=4096)
    current_password: str = Field(max_length=4096)
    revoke_other_sessions: bool = False


class StatusOut(WireModel):
    status: bool


# Fields a client may not set (Better Auth: additionalFields with input: false, and the admin
# plugin's), answered with 400 FIELD_NOT_ALLOWED instead of being silently dropped.
PROTECTED_FIELDS = frozenset(
    {"role", "banned", "banReason", "banExpires", "stripeCustomerId", "emailVerified", "id"}
)
