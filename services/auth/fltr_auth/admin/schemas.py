"""Bodies of the admin endpoints, in Better Auth's admin plugin shapes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from fltr_auth.users.schemas import UserOut
from fltr_auth.wire import WireModel

Role = Literal["curator", "developer", "admin"]


class UserListOut(WireModel):
    users: list[UserOut]
    total: int
    limit: int
    offset: int


class SetRoleIn(WireModel):
    user_id: str = Field(max_length=64)
    role: Role


class BanUserIn(WireModel):
    user_id: str = Field(max_length=64)
    ban_reason: str | None = Field(None, max_length=500)
    ban_expires_in: int | None = Field(None, gt=0, le=10 * 365 * 86400, description="Seconds.")


class UserIdIn(WireModel):
    user_id: str = Field(max_length=64)


class AdminUpdateData(WireModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    email_verified: bool | None = None
    role: Role | None = None


class AdminUpdateUserIn(WireModel):
    user_id: str = Field(max_length=64)
    data: AdminUpdateData


class UserResultOut(WireModel):
    user: UserOut
