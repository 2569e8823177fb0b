"""``/api/auth/admin/*``: Better Auth's admin plugin endpoints (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from fltr_auth.admin import service
from fltr_auth.admin.schemas import (
    AdminUpdateUserIn,
    BanUserIn,
    SetRoleIn,
    UserIdIn,
    UserListOut,
    UserResultOut,
)
from fltr_auth.deps import CurrentSessionDep
from fltr_auth.sessions.service import ActiveSession
from fltr_auth.users.schemas import UserOut
from fltr_shared.db import SessionDep
from fltr_shared.pagination import DEFAULT_PAGE_SIZE, MAX_OFFSET, MAX_PAGE_SIZE


async def _admin(current: CurrentSessionDep) -> ActiveSession:
    service.require_admin(current.user)
    return current


AdminDep = Annotated[ActiveSession, Depends(_admin)]
ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "No session"},
    403: {"description": "Not an admin"},
    404: {"description": "No such user"},
}

router = APIRouter(prefix="/api/auth/admin", tags=["auth: admin"], responses=ERRORS)


@router.get("/list-users", response_model=UserListOut, summary="List users (paginated)")
async def list_users(
    admin: AdminDep,
    db: SessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    search_value: Annotated[str | None, Query(alias="searchValue", max_length=200)] = None,
) -> UserListOut:
    rows, total = await service.list_users(db, limit=limit, offset=offset, search=search_value)
    return UserListOut(
        users=[UserOut.model_validate(u) for u in rows], total=total, limit=limit, offset=offset
    )


@router.post("/set-role", response_model=UserResultOut, summary="Change a user's role")
async def set_role(body: SetRoleIn, admin: AdminDep, db: SessionDep) -> UserResultOut:
    user = await service.set_role(db, admin.user, body.user_id, body.role)
    return UserResultOut(user=UserOut.model_validate(user))


@router.post("/ban-user", response_model=UserResultOut, summary="Ban a user and end their sessions")
async def ban_user(body: BanUserIn, admin: AdminDep, db: SessionDep) -> UserResultOut:
    user = await service.ban(db, admin.user, body.user_id, body.ban_reason, body.ban_expires_in)
    return UserResultOut(user=UserOut.model_validate(user))


@router.post("/unban-user", response_model=UserResultOut, summary="Lift a ban")
async def unban_user(body: UserIdIn, admin: AdminDep, db: SessionDep) -> UserResultOut:
    user = await service.unban(db, body.user_id)
    return UserResultOut(user=UserOut.model_validate(user))


@router.post(
    "/update-user",
    response_model=UserResultOut,
    summary="Change a user's name, role or email-verified flag",
)
async def update_user(body: AdminUpdateUserIn, admin: AdminDep, db: SessionDep) -> UserResultOut:
    user = await service.update(
        db,
        admin.user,
        body.user_id,
        name=body.data.name,
        email_verified=body.data.email_verified,
        role=body.data.role,
    )
    return UserResultOut(user=UserOut.model_validate(user))
