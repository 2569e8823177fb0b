"""What the content service may know about users and teams: a user's team roles (for the
catalog's access policy) and public profiles (name, username, image; never email or role).

Never commits.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.internal import repository
from fltr_auth.teams import service as teams

MAX_PROFILE_IDS = 200


class MembershipOut(BaseModel):
    member: bool
    role: str | None = Field(description="owner, admin, member (or a comma-separated list).")


class TeamRole(BaseModel):
    team_id: str
    role: str


class UserTeamsOut(BaseModel):
    teams: list[TeamRole]


class ProfilesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_ids: list[str] = Field(default_factory=list, max_length=MAX_PROFILE_IDS)
    team_ids: list[str] = Field(default_factory=list, max_length=MAX_PROFILE_IDS)


class Profile(BaseModel):
    id: str
    type: str  # user or team
    name: str
    username: str | None
    image: str | None


class ProfilesOut(BaseModel):
    """Only the ids that exist are answered."""

    users: list[Profile]
    teams: list[Profile]


async def membership(db: AsyncSession, team_id: str, user_id: str) -> MembershipOut:
    role = await teams.member_role(db, team_id, user_id)
    return MembershipOut(member=role is not None, role=role)


async def user_teams(db: AsyncSession, user_id: str) -> UserTeamsOut:
    rows = await repository.memberships(db, user_id)
    return UserTeamsOut(teams=[TeamRole(team_id=team_id, role=role) for team_id, role in rows])


async def profiles(db: AsyncSession, body: ProfilesIn) -> ProfilesOut:
    users = await repository.users_by_ids(db, sorted(set(body.user_ids)))
    orgs = await repository.organizations_by_ids(db, sorted(set(body.team_ids)))
    return ProfilesOut(
        users=[
            Profile(id=u.id, type="user", name=u.name, username=u.username, image=u.image)
            for u in users
        ],
        # a team's slug is its public handle, its logo its image
        teams=[
            Profile(id=o.id, type="team", name=o.name, username=o.slug, image=o.logo) for o in orgs
        ],
    )
