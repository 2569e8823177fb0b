"""``/api/auth/update-user``, with Better Auth's shapes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from fltr_auth.deps import CurrentSessionDep, SecretDep, SettingsDep
from fltr_auth.sessions.transport import set_session_cookie
from fltr_auth.users import service
from fltr_auth.users.schemas import StatusOut, UpdateUserIn
from fltr_shared.db import SessionDep

router = APIRouter(prefix="/api/auth", tags=["auth: users"])


@router.post("/update-user", response_model=StatusOut, summary="Change the caller's profile")
async def update_user(
    body: UpdateUserIn,
    current: CurrentSessionDep,
    db: SessionDep,
    settings: SettingsDep,
    secret: SecretDep,
) -> JSONResponse:
    service.check_client_fields(body.model_extra, updating=True)
    await service.update_profile(
        db, current.user, name=body.name, image=body.image, username=body.username
    )
    response = JSONResponse({"status": True})
    # Better Auth re-sends the session cookie after a profile change
    set_session_cookie(
        response,
        current.session.token,
        secret,
        secure=settings.secure_cookies,
        max_age=settings.session_expires_in_seconds,
    )
    return response
