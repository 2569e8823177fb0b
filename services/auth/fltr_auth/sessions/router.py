"""``/api/auth`` session endpoints, with Better Auth's shapes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from fltr_auth.deps import (
    CurrentSessionDep,
    JwtConfigDep,
    OptionalSessionDep,
    PresentedDep,
    SecretDep,
    SettingsDep,
)
from fltr_auth.jwt import service as jwt_service
from fltr_auth.sessions import service
from fltr_auth.sessions.schemas import RevokeSessionIn, SessionOut, SessionWithUser, SuccessOut
from fltr_auth.sessions.transport import clear_session_cookies, set_session_cookie
from fltr_auth.users.schemas import StatusOut, UserOut
from fltr_shared.db import SessionDep

router = APIRouter(prefix="/api/auth", tags=["auth: sessions"])
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@router.get(
    "/get-session",
    response_model=SessionWithUser | None,
    summary="The caller's session and user, or null",
)
async def get_session(
    active: OptionalSessionDep,
    presented: PresentedDep,
    settings: SettingsDep,
    secret: SecretDep,
    db: SessionDep,
    jwt_config: JwtConfigDep,
) -> JSONResponse:
    if active is None:
        response = JSONResponse(None, headers=NO_STORE)
        if presented is not None and presented.source == "cookie":
            # a genuine cookie whose session has expired or ended: clear it, as Better Auth
            clear_session_cookies(response, secure=settings.secure_cookies)
        return response
    body = SessionWithUser(
        session=SessionOut.model_validate(active.session),
        user=UserOut.model_validate(active.user),
    )
    response = JSONResponse(body.model_dump(mode="json", by_alias=True), headers=NO_STORE)
    # Better Auth's jwt plugin hands a fresh JWT to every get-session caller.
    response.headers["set-auth-jwt"] = await jwt_service.issue(db, jwt_config, active.user)
    response.headers["Access-Control-Expose-Headers"] = "set-auth-jwt"
    if active.refreshed and presented is not None and presented.source == "cookie":
        set_session_cookie(
            response,
            active.session.token,
            secret,
            secure=settings.secure_cookies,
            max_age=settings.session_expires_in_seconds,
        )
    return response


@router.post("/sign-out", response_model=SuccessOut, summary="End the caller's session")
async def sign_out(
    active: OptionalSessionDep, db: SessionDep, settings: SettingsDep
) -> JSONResponse:
    if active is not None:
        await service.revoke(db, active.session.token, active.user.id)
    response = JSONResponse({"success": True})
    clear_session_cookies(response, secure=settings.secure_cookies)
    return response


@router.get("/list-sessions", response_model=list[SessionOut], summary="The caller's live sessions")
async def list_sessions(current: CurrentSessionDep, db: SessionDep) -> list[SessionOut]:
    rows = await service.list_active(db, current.user.id)
    return [SessionOut.model_validate(row) for row in rows]


@router.post(
    "/revoke-session", response_model=StatusOut, summary="End one of the caller's sessions"
)
async def revoke_session(
    body: RevokeSessionIn, current: CurrentSessionDep, db: SessionDep
) -> StatusOut:
    await service.revoke(db, body.token, current.user.id)
    return StatusOut(status=True)


@router.post("/revoke-sessions", response_model=StatusOut, summary="End all the caller's sessions")
async def revoke_sessions(
    current: CurrentSessionDep, db: SessionDep, settings: SettingsDep
) -> JSONResponse:
    await service.revoke_all(db, current.user.id)
    response = JSONResponse({"status": True})
    clear_session_cookies(response, secure=settings.secure_cookies)
    return response


@router.post(
    "/revoke-other-sessions",
    response_model=StatusOut,
    summary="End all the caller's sessions but this one",
)
async def revoke_other_sessions(current: CurrentSessionDep, db: SessionDep) -> StatusOut:
    await service.revoke_all(db, current.user.id, keep_token=current.session.token)
    return StatusOut(status=True)
