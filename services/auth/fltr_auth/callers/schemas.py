"""The internal contract (``/internal/v1/sessions/validate``) the content service relies on."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class ValidateIn(BaseModel):
    token: str = Field(
        min_length=1,
        max_length=4096,
        description="A session cookie value, a bearer token (signed or raw) or a JWT.",
    )


class CallerUser(BaseModel):
    id: str
    email: str
    name: str
    role: str
    email_verified: bool
    image: str | None = None
    username: str | None = None


class CallerSession(BaseModel):
    id: str
    expires_at: datetime


class CallerOut(BaseModel):
    user: CallerUser
    session: CallerSession | None = Field(None, description="Absent for a JWT.")
    credential: Literal["session", "jwt"]
