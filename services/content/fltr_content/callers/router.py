"""``GET /api/v1/me``: who the content service takes the caller to be."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from fltr_content.callers.deps import CallerDep

router = APIRouter(prefix="/api/v1", tags=["callers"])


class MeOut(BaseModel):
    user_id: str
    email: str
    name: str
    role: str
    email_verified: bool
    credential: Literal["session", "jwt", "api_key"]


@router.get(
    "/me",
    response_model=MeOut,
    summary="The caller, as resolved from a session cookie, bearer token or JWT",
    responses={401: {"description": "No valid credential"}},
)
async def me(caller: CallerDep) -> MeOut:
    return MeOut(
        user_id=caller.user_id,
        email=caller.email,
        name=caller.name,
        role=caller.role,
        email_verified=caller.email_verified,
        credential=caller.credential,
    )
