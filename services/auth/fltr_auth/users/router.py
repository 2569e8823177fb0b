"""``/api/auth/update-user``, with Better Auth's shapes."""

from __future__ import annotations

from fastapi import APIRouter

from fltr_auth.deps import CurrentSessionDep
from fltr_auth.users import service
from fltr_auth.users.schemas import StatusOut, UpdateUserIn
from fltr_shared.db import SessionDep

router = APIRouter(prefix="/api/auth", tags=["auth: users"])


@router.post("/update-user", response_model=StatusOut, summary="Change the caller's profile")
async def update_user(body: UpdateUserIn, current: CurrentSessionDep, db: SessionDep) -> StatusOut:
    await service.update_profile(
        db, current.user, name=body.name, image=body.image, username=body.username
    )
    return StatusOut(status=True)
