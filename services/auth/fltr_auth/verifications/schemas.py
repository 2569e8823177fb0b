"""Bodies of the verification endpoints, in Better Auth's shapes."""

from __future__ import annotations

from pydantic import Field

from fltr_auth.wire import WireModel


class SendVerificationIn(WireModel):
    email: str = Field(max_length=320)
    callback_url: str | None = Field(None, alias="callbackURL", max_length=2048)


class RequestResetIn(WireModel):
    email: str = Field(max_length=320)
    redirect_to: str | None = Field(None, max_length=2048)


class ResetPasswordIn(WireModel):
    new_password: str = Field(max_length=4096)
    token: str = Field(min_length=1, max_length=256)


class ResetRequestedOut(WireModel):
    status: bool
    message: str
