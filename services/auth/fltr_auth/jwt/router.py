"""``/api/auth/token`` and ``/api/auth/jwks`` (Better Auth's jwt plugin)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from fltr_auth.deps import CurrentSessionDep, JwtConfigDep
from fltr_auth.jwt import service
from fltr_shared.db import SessionDep

router = APIRouter(prefix="/api/auth", tags=["auth: jwt"])


class TokenOut(BaseModel):
    token: str


@router.get("/token", response_model=TokenOut, summary="A 15-minute JWT for the caller")
async def token(current: CurrentSessionDep, db: SessionDep, config: JwtConfigDep) -> TokenOut:
    return TokenOut(token=await service.issue(db, config, current.user))


@router.get("/jwks", summary="Public keys that verify FLTR's (and Better Auth's) JWTs")
async def jwks(db: SessionDep) -> dict[str, Any]:
    return await service.jwks(db)
