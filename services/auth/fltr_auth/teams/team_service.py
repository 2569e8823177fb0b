"""Teams inside an organization, with better-auth 1.7.25's rules (``routes/crud-team.mjs``).

Owners and admins create, rename and remove teams (``team:*``) and place members in them
(``member:update`` to add, ``member:delete`` to remove); any member lists the organization's
teams; only a team's own members list its members. The last team cannot be removed
(``allowRemovingAllTeams`` off), nor the caller's active team. No team or team-size limits
(``maximumTeams``/``maximumMembersPerTeam`` unset).

Never commits: the request's transaction does.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.errors import AuthBadRequest
from fltr_auth.security.ids import generate_id
from fltr_auth.sessions.service import ActiveSession
from fltr_auth.teams import access, repository
from fltr_auth.teams.error_codes import bad_request, forbidden
from fltr_auth.teams.models import Member, Team, TeamMember
from fltr_auth.teams.service import add_to_team, organization_id_or_active, set_active_team_id
from fltr_auth.users import service as users
from fltr_shared.db import utcnow


def _required_organization_id(explicit: str | None, current: ActiveSession) -> str:
    org_id = organization_id_or_active(explicit, current)
    if not org_id:
        raise bad_request("NO_ACTIVE_ORGANIZATION")
    return org_id


async def create_team(
    db: AsyncSession, current: ActiveSession, name: str, organization_id: str | None
) -> Team:
    """``POST /organization/create-team`` (owner and admin). The creator is not added."""
    org_id = _required_organization_id(organization_id, current)
    member = await repository.get_member(db, org_id, current.user.id)
    if member is None:  # Better Auth's code for this refusal, sic
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION")
    if not access.has_permission(member.role, {"team": ["create"]}):
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_CREATE_TEAMS_IN_THIS_ORGANIZATION")
    if await repository.get_organization(db, org_id) is None:
        raise bad_request("ORGANIZATION_NOT_FOUND")
    now = utcnow()
    team = Team(id=generate_id(), name=name, organization_id=org_id, created_at=now, updated_at=now)
    await repository.add(db, team)
    return team


async def list_teams(
    db: AsyncSession, current: ActiveSession, organization_id: str | None
) -> Sequence[Team]:
    """``GET /organization/list-teams`` (any member)."""
    org_id = _required_organization_id(organization_id, current)
    if await repository.get_member(db, org_id, current.user.id) is None:
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_ACCESS_THIS_ORGANIZATION")
    return await repository.list_teams(db, org_id)


async def update_team(
    db: AsyncSession,
    current: ActiveSession,
    team_id: str,
    name: str | None,
    organization_id: str | None,
) -> Team:
    """``POST /organization/update-team`` (owner and admin): rename; ``updatedAt`` moves."""
    org_id = _required_organization_id(organization_id, current)
    member = await repository.get_member(db, org_id, current.user.id)
    if member is None or not access.has_permission(member.role, {"team": ["update"]}):
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_TEAM")
    team = await repository.get_team(db, team_id, org_id)
    if team is None:
        raise bad_request("TEAM_NOT_FOUND")
    if name is not None:
        team.name = name
    team.updated_at = utcnow()
    await db.flush()
    return team


async def remove_team(
    db: AsyncSession, current: ActiveSession, team_id: str, organization_id: str | None
) -> None:
    """``POST /organization/remove-team`` (owner and admin): the team and its memberships go,
    and pending invitations stop naming it."""
    org_id = _required_organization_id(organization_id, current)
    member = await repository.get_member(db, org_id, current.user.id)
    if member is None or current.session.active_team_id == team_id:
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_TEAM")
    if not access.has_permission(member.role, {"team": ["delete"]}):
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_DELETE_TEAMS_IN_THIS_ORGANIZATION")
    team = await repository.get_team(db, team_id, org_id)
    if team is None:
        raise bad_request("TEAM_NOT_FOUND")
    if len(await repository.list_teams(db, org_id)) <= 1:
        raise bad_request("UNABLE_TO_REMOVE_LAST_TEAM")
    await repository.delete_team(db, team)
    for invitation in await repository.pending_invitations(db, org_id, utcnow()):
        ids = invitation.team_id.split(",") if invitation.team_id else []
        if team_id in ids:
            remaining = [one for one in ids if one != team_id]
            invitation.team_id = ",".join(remaining) if remaining else None
    await db.flush()


async def set_active_team(
    db: AsyncSession, current: ActiveSession, team_id: str | None, *, unset: bool
) -> Team | None:
    """``POST /organization/set-active-team``: ``teamId: null`` (``unset``) clears it; the
    team must be in the active organization and have the caller as a member."""
    if unset:
        if current.session.active_team_id:
            await set_active_team_id(db, current, None)
        return None
    chosen = team_id or current.session.active_team_id
    if not chosen:
        return None
    org_id = current.session.active_organization_id
    if not org_id:
        raise bad_request("NO_ACTIVE_ORGANIZATION")
    team = await repository.get_team(db, chosen, org_id)
    if team is None:
        raise bad_request("TEAM_NOT_FOUND")
    if await repository.get_team_member(db, chosen, current.user.id) is None:
        raise forbidden("USER_IS_NOT_A_MEMBER_OF_THE_TEAM")
    await set_active_team_id(db, current, team.id)
    return team


async def list_user_teams(
    db: AsyncSession, current: ActiveSession, user_id: str | None, organization_id: str | None
) -> list[Team]:
    """``GET /organization/list-user-teams``: the caller's teams (in every organization it
    still belongs to, or in one); another member's need ``member:update`` there."""
    target = user_id or current.user.id
    org_id = organization_id_or_active(organization_id, current)
    if target != current.user.id:
        if not org_id:
            raise bad_request("NO_ACTIVE_ORGANIZATION")
        requester = await repository.get_member(db, org_id, current.user.id)
        if requester is None:
            raise forbidden("YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION")
        if not access.has_permission(requester.role, {"member": ["update"]}):
            raise forbidden("YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER")
        if await repository.get_member(db, org_id, target) is None:
            raise bad_request("USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
        return [
            t for t in await repository.teams_of_user(db, target) if t.organization_id == org_id
        ]
    teams = await repository.teams_of_user(db, current.user.id)
    if organization_id:
        if await repository.get_member(db, organization_id, current.user.id) is None:
            raise forbidden("YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION")
        return [t for t in teams if t.organization_id == organization_id]
    member_of: dict[str, bool] = {}
    for org in {t.organization_id for t in teams}:
        member_of[org] = await repository.get_member(db, org, current.user.id) is not None
    return [t for t in teams if member_of[t.organization_id]]


async def list_team_members(
    db: AsyncSession, current: ActiveSession, team_id: str | None
) -> Sequence[TeamMember]:
    """``GET /organization/list-team-members``: only members of the team may list it."""
    chosen = team_id or current.session.active_team_id
    if not chosen:
        raise bad_request("YOU_DO_NOT_HAVE_AN_ACTIVE_TEAM")
    team = await repository.get_team(db, chosen)
    if team is None:
        raise bad_request("TEAM_NOT_FOUND")
    if (
        await repository.get_member(db, team.organization_id, current.user.id) is None
        or await repository.get_team_member(db, chosen, current.user.id) is None
    ):
        raise bad_request("USER_IS_NOT_A_MEMBER_OF_THE_TEAM")
    return await repository.list_team_members(db, chosen)


async def _team_change(
    db: AsyncSession,
    current: ActiveSession,
    *,
    team_id: str,
    user_id: str,
    organization_id: str | None,
    action: str,
    refusal: str,
) -> Team:
    """The checks add- and remove-team-member share, in Better Auth's order."""
    org_id = _required_organization_id(organization_id, current)
    caller: Member | None = await repository.get_member(db, org_id, current.user.id)
    if caller is None:
        raise bad_request("USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
    if not access.has_permission(caller.role, {"member": [action]}):
        raise forbidden(refusal)
    if await repository.get_member(db, org_id, user_id) is None:
        raise bad_request("USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
    team = await repository.get_team(db, team_id, org_id)
    if team is None:
        raise bad_request("TEAM_NOT_FOUND")
    if await users.get(db, user_id) is None:
        raise AuthBadRequest("USER_NOT_FOUND", "User not found")
    return team


async def add_team_member(
    db: AsyncSession,
    current: ActiveSession,
    team_id: str,
    user_id: str,
    organization_id: str | None,
) -> TeamMember:
    """``POST /organization/add-team-member`` (owner and admin; the user must be a member of
    the organization). Adding someone twice returns the existing membership."""
    team = await _team_change(
        db,
        current,
        team_id=team_id,
        user_id=user_id,
        organization_id=organization_id,
        action="update",
        refusal="YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_TEAM_MEMBER",
    )
    return await add_to_team(db, team.id, user_id)


async def remove_team_member(
    db: AsyncSession,
    current: ActiveSession,
    team_id: str,
    user_id: str,
    organization_id: str | None,
) -> None:
    """``POST /organization/remove-team-member`` (owner and admin)."""
    team = await _team_change(
        db,
        current,
        team_id=team_id,
        user_id=user_id,
        organization_id=organization_id,
        action="delete",
        refusal="YOU_ARE_NOT_ALLOWED_TO_REMOVE_A_TEAM_MEMBER",
    )
    if await repository.get_team_member(db, team.id, user_id) is None:
        raise bad_request("USER_IS_NOT_A_MEMBER_OF_THE_TEAM")
    await repository.remove_team_member(db, team.id, user_id)
    await repository.sync_member_count(db, team.id)
