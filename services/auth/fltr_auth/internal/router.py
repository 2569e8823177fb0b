"""Endpoints the content service calls (the service credential is checked by the app)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from fltr_auth.callers import service as callers
from fltr_auth.callers.schemas import CallerOut, ValidateIn
from fltr_auth.deps import JwtConfigDep, PolicyDep, SecretDep
from fltr_shared.db import SessionDep

# Prefixes live on routers (not include_router) so route templates in metrics are whole.
router = APIRouter(prefix="/internal/v1", tags=["internal"])


class Pong(BaseModel):
    service: str
    status: str


@router.get("/ping", response_model=Pong, summary="Service-to-service reachability check")
async def ping() -> Pong:
    return Pong(service="auth", status="ok")


@router.post(
    "/sessions/validate",
    response_model=CallerOut,
    summary="Resolve a cookie value, bearer token or JWT to its user",
    responses={401: {"description": "Invalid, expired, revoked, or the user is banned"}},
)
async def validate_session(
    body: ValidateIn,
    db: SessionDep,
    secret: SecretDep,
    policy: PolicyDep,
    jwt_config: JwtConfigDep,
) -> CallerOut | JSONResponse:
    caller = await callers.resolve(
        db, body.token, secret=secret, policy=policy, jwt_config=jwt_config
    )
    if caller is None:
        # Returned, not raised: the transaction must commit, so an expired session found here
        # is deleted (and a due refresh kept).
        return JSONResponse(
            {"error": "invalid_session", "detail": "The credential is invalid or has expired."},
            status_code=401,
        )
    return caller
