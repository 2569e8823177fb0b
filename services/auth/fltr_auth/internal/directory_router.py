"""``/internal/v1`` reads for the content service's catalog: team membership and public
profiles (the service credential is checked by the app)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from fltr_auth.internal import directory
from fltr_auth.internal.directory import (
    MembershipOut,
    ProfilesIn,
    ProfilesOut,
    UserTeamsOut,
)
from fltr_shared.db import SessionDep

router = APIRouter(prefix="/internal/v1", tags=["internal"])

Id = Annotated[str, Path(min_length=1, max_length=64)]


@router.get(
    "/teams/{team_id}/members/{user_id}",
    response_model=MembershipOut,
    summary="Whether a user is a member of a team (organization), and with which role",
)
async def team_membership(team_id: Id, user_id: Id, db: SessionDep) -> MembershipOut:
    return await directory.membership(db, team_id, user_id)


@router.get(
    "/users/{user_id}/teams",
    response_model=UserTeamsOut,
    summary="Every team (organization) a user is a member of, with the role",
)
async def user_teams(user_id: Id, db: SessionDep) -> UserTeamsOut:
    return await directory.user_teams(db, user_id)


@router.post(
    "/profiles",
    response_model=ProfilesOut,
    summary="Public profiles (name, username, image) of users and teams, in one call",
)
async def profiles(body: ProfilesIn, db: SessionDep) -> ProfilesOut:
    return await directory.profiles(db, body)
