"""``/api/auth/organization/*``: Better Auth 1.7.25's organization plugin (teams enabled).

Paths, bodies and answers are the plugin's, so ``authClient.organization.*`` of a Next.js
frontend works against FLTR. Every route needs a session (cookie or bearer).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from fltr_auth.billing.policy import BillingPolicy
from fltr_auth.deps import CurrentSessionDep, EmailDep, SettingsDep
from fltr_auth.settings import AuthSettings
from fltr_auth.teams import invitation_service, service, team_service
from fltr_auth.teams.schemas import (
    AcceptedInvitationOut,
    CheckSlugIn,
    CreatedOrganizationOut,
    CreateOrganizationIn,
    CreateTeamIn,
    FullOrganizationOut,
    HasPermissionIn,
    InvitationDetailOut,
    InvitationIdIn,
    InvitationOut,
    InviteMemberIn,
    MemberListOut,
    MemberOut,
    MemberWithUserOut,
    MessageOut,
    OrganizationIdIn,
    OrganizationOut,
    ParsedOrganizationOut,
    PermissionOut,
    RejectedInvitationOut,
    RemovedMemberOut,
    RemoveMemberIn,
    RemoveTeamIn,
    RoleOut,
    SetActiveOrganizationIn,
    SetActiveTeamIn,
    SlugStatusOut,
    TeamMemberIn,
    TeamMemberOut,
    TeamOut,
    UpdateMemberRoleIn,
    UpdateOrganizationIn,
    UpdateTeamIn,
    UserInvitationOut,
)
from fltr_shared.db import SessionDep
from fltr_shared.pagination import MAX_OFFSET
from fltr_shared.request_id import current_request_id

ERRORS: dict[int | str, dict[str, str]] = {
    400: {"description": "Refused by a rule (Better Auth's code in `code`)"},
    401: {"description": "No session"},
    403: {"description": "The caller's role does not allow it"},
}

router = APIRouter(prefix="/api/auth/organization", tags=["auth: teams"], responses=ERRORS)

IdQuery = Annotated[str | None, Query(max_length=128)]
SlugQuery = Annotated[str | None, Query(alias="organizationSlug", max_length=200)]
OrgIdQuery = Annotated[str | None, Query(alias="organizationId", max_length=128)]
MemberField = Literal["id", "organizationId", "userId", "role", "createdAt"]
WhereOperator = Literal[
    "eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "contains", "starts_with", "ends_with"
]


def _refusal(refused: service.RefusedAfterReset) -> JSONResponse:
    """Answer the error without raising, so the session change before it is committed."""
    error = refused.error
    body = error.body()
    request_id = current_request_id()
    if request_id:
        body = {**body, "request_id": request_id}
    return JSONResponse(body, status_code=error.status_code, headers=error.headers or None)


def _accept_base_url(settings: AuthSettings) -> str:
    """Invitation links go to the frontend: the first trusted origin, else the API's own."""
    return settings.trusted_origins[0] if settings.trusted_origins else settings.base_origin


# ---- organizations


@router.post(
    "/create",
    response_model=CreatedOrganizationOut,
    summary="Create an organization; the caller becomes its owner",
)
async def create_organization(
    body: CreateOrganizationIn, current: CurrentSessionDep, db: SessionDep
) -> CreatedOrganizationOut:
    created = await service.create_organization(
        db,
        current,
        name=body.name,
        slug=body.slug,
        logo=body.logo,
        metadata=body.metadata,
        keep_current_active_organization=body.keep_current_active_organization,
    )
    return CreatedOrganizationOut.created(created.organization, created.member)


@router.post(
    "/update", response_model=ParsedOrganizationOut, summary="Rename or re-slug an organization"
)
async def update_organization(
    body: UpdateOrganizationIn, current: CurrentSessionDep, db: SessionDep
) -> ParsedOrganizationOut:
    changes = body.data.model_dump(include=body.data.model_fields_set)
    org = await service.update_organization(db, current, body.organization_id, changes=changes)
    return ParsedOrganizationOut.of(org)


@router.post("/delete", response_model=OrganizationOut, summary="Delete an organization (owners)")
async def delete_organization(
    body: OrganizationIdIn, current: CurrentSessionDep, db: SessionDep
) -> OrganizationOut:
    org = await service.delete_organization(db, current, body.organization_id)
    return OrganizationOut.of(org)


@router.post("/check-slug", response_model=SlugStatusOut, summary="Whether a slug is still free")
async def check_slug(
    body: CheckSlugIn, current: CurrentSessionDep, db: SessionDep
) -> SlugStatusOut:
    await service.check_slug(db, body.slug)
    return SlugStatusOut(status=True)


@router.get(
    "/get-organization",
    response_model=OrganizationOut | None,
    summary="An organization of the caller (the active one by default)",
)
async def get_organization(
    current: CurrentSessionDep,
    db: SessionDep,
    organization_id: OrgIdQuery = None,
    organization_slug: SlugQuery = None,
) -> OrganizationOut | JSONResponse | None:
    try:
        org = await service.get_organization(db, current, organization_id, organization_slug)
    except service.RefusedAfterReset as refused:
        return _refusal(refused)
    return OrganizationOut.of(org) if org else None


@router.get(
    "/get-full-organization",
    response_model=FullOrganizationOut | None,
    summary="An organization with its members, invitations and teams",
)
async def get_full_organization(
    current: CurrentSessionDep,
    db: SessionDep,
    organization_id: OrgIdQuery = None,
    organization_slug: SlugQuery = None,
    members_limit: Annotated[int | None, Query(alias="membersLimit", ge=1, le=1000)] = None,
) -> FullOrganizationOut | JSONResponse | None:
    try:
        full = await service.get_full_organization(
            db, current, organization_id, organization_slug, members_limit
        )
    except service.RefusedAfterReset as refused:
        return _refusal(refused)
    if full is None:
        return None
    return FullOrganizationOut.full(full.organization, full.members, full.invitations, full.teams)


@router.post(
    "/set-active",
    response_model=OrganizationOut | None,
    summary="Choose the session's active organization (null unsets it)",
)
async def set_active_organization(
    body: SetActiveOrganizationIn, current: CurrentSessionDep, db: SessionDep
) -> OrganizationOut | JSONResponse | None:
    unset = "organization_id" in body.model_fields_set and body.organization_id is None
    try:
        org = await service.set_active_organization(
            db, current, body.organization_id, body.organization_slug, unset=unset
        )
    except service.RefusedAfterReset as refused:
        return _refusal(refused)
    return OrganizationOut.of(org) if org else None


@router.get("/list", response_model=list[OrganizationOut], summary="The caller's organizations")
async def list_organizations(current: CurrentSessionDep, db: SessionDep) -> list[OrganizationOut]:
    return [OrganizationOut.of(org) for org in await service.list_organizations(db, current)]


# ---- members


@router.get("/list-members", response_model=MemberListOut, summary="Members of an organization")
async def list_members(
    current: CurrentSessionDep,
    db: SessionDep,
    organization_id: OrgIdQuery = None,
    organization_slug: SlugQuery = None,
    limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
    offset: Annotated[int | None, Query(ge=0, le=MAX_OFFSET)] = None,
    sort_by: Annotated[MemberField | None, Query(alias="sortBy")] = None,
    sort_direction: Annotated[Literal["asc", "desc"], Query(alias="sortDirection")] = "asc",
    filter_field: Annotated[MemberField | None, Query(alias="filterField")] = None,
    filter_value: Annotated[list[str] | None, Query(alias="filterValue", max_length=100)] = None,
    filter_operator: Annotated[WhereOperator, Query(alias="filterOperator")] = "eq",
) -> MemberListOut:
    member_filter = (
        service.MemberFilter(filter_field, filter_operator, filter_value or [])
        if filter_field
        else None
    )
    rows, total = await service.list_members(
        db,
        current,
        organization_id=organization_id,
        slug=organization_slug,
        limit=limit,
        offset=offset,
        sort_by=sort_by,
        descending=sort_direction == "desc",
        member_filter=member_filter,
    )
    return MemberListOut(
        members=[MemberWithUserOut.of(member, user) for member, user in rows], total=total
    )


@router.get(
    "/get-active-member",
    response_model=MemberWithUserOut,
    summary="The caller's membership in the active organization",
)
async def get_active_member(current: CurrentSessionDep, db: SessionDep) -> MemberWithUserOut:
    member, user = await service.get_active_member(db, current)
    return MemberWithUserOut.of(member, user)


@router.get(
    "/get-active-member-role",
    response_model=RoleOut,
    summary="The caller's (or another member's) role",
)
async def get_active_member_role(
    current: CurrentSessionDep,
    db: SessionDep,
    user_id: Annotated[str | None, Query(alias="userId", max_length=128)] = None,
    organization_id: OrgIdQuery = None,
    organization_slug: SlugQuery = None,
) -> RoleOut:
    role = await service.get_active_member_role(
        db, current, user_id=user_id, organization_id=organization_id, slug=organization_slug
    )
    return RoleOut(role=role)


@router.post(
    "/remove-member",
    response_model=RemovedMemberOut,
    summary="Remove a member (owner, admin); never the last owner",
)
async def remove_member(
    body: RemoveMemberIn, current: CurrentSessionDep, db: SessionDep
) -> RemovedMemberOut:
    removed = await service.remove_member(
        db, current, body.member_id_or_email, body.organization_id
    )
    if removed.user is not None:
        return RemovedMemberOut(member=MemberWithUserOut.of(removed.member, removed.user))
    return RemovedMemberOut(member=MemberOut.model_validate(removed.member))


@router.post(
    "/update-member-role",
    response_model=MemberOut,
    summary="Change a member's role (owner, admin; owners alone touch owners)",
)
async def update_member_role(
    body: UpdateMemberRoleIn, current: CurrentSessionDep, db: SessionDep
) -> MemberOut:
    member = await service.update_member_role(
        db, current, body.member_id, body.role, body.organization_id
    )
    return MemberOut.model_validate(member)


@router.post(
    "/leave",
    response_model=MemberWithUserOut,
    summary="Leave an organization (not as its last owner)",
)
async def leave_organization(
    body: OrganizationIdIn, current: CurrentSessionDep, db: SessionDep
) -> MemberWithUserOut:
    member, user = await service.leave_organization(db, current, body.organization_id)
    return MemberWithUserOut.of(member, user)


@router.post(
    "/has-permission",
    response_model=PermissionOut,
    summary="Whether the caller's role allows the given actions",
)
async def has_permission(
    body: HasPermissionIn, current: CurrentSessionDep, db: SessionDep
) -> PermissionOut:
    allowed = await service.has_permission(db, current, body.organization_id, body.requested)
    return PermissionOut(success=allowed)


# ---- invitations


@router.post(
    "/invite-member",
    response_model=InvitationOut,
    summary="Invite someone by email (owner, admin); valid 48 hours",
)
async def invite_member(
    body: InviteMemberIn,
    current: CurrentSessionDep,
    db: SessionDep,
    mailer: EmailDep,
    settings: SettingsDep,
) -> InvitationOut:
    sent = await invitation_service.invite_member(
        db,
        current,
        email=body.email,
        role=body.role,
        organization_id=body.organization_id,
        resend=body.resend,
        team_id=body.team_id,
        accept_base_url=_accept_base_url(settings),
    )
    mailer.send_after_commit(db, sent.email)
    return InvitationOut.model_validate(sent.invitation)


@router.post(
    "/accept-invitation",
    response_model=AcceptedInvitationOut,
    summary="Accept an invitation sent to the caller's email",
)
async def accept_invitation(
    body: InvitationIdIn, current: CurrentSessionDep, db: SessionDep, settings: SettingsDep
) -> AcceptedInvitationOut:
    invitation, member = await invitation_service.accept_invitation(
        db, current, body.invitation_id, plans=BillingPolicy.from_settings(settings)
    )
    return AcceptedInvitationOut(
        invitation=InvitationOut.model_validate(invitation),
        member=MemberOut.model_validate(member),
    )


@router.post(
    "/reject-invitation",
    response_model=RejectedInvitationOut,
    summary="Decline an invitation sent to the caller's email",
)
async def reject_invitation(
    body: InvitationIdIn, current: CurrentSessionDep, db: SessionDep
) -> RejectedInvitationOut:
    invitation = await invitation_service.reject_invitation(db, current, body.invitation_id)
    return RejectedInvitationOut(
        invitation=InvitationOut.model_validate(invitation) if invitation else None
    )


@router.post(
    "/cancel-invitation",
    response_model=InvitationOut | None,
    summary="Withdraw an invitation (owner, admin)",
)
async def cancel_invitation(
    body: InvitationIdIn, current: CurrentSessionDep, db: SessionDep
) -> InvitationOut | None:
    invitation = await invitation_service.cancel_invitation(db, current, body.invitation_id)
    return InvitationOut.model_validate(invitation) if invitation else None


@router.get(
    "/get-invitation",
    response_model=InvitationDetailOut,
    summary="A pending invitation, for its recipient",
)
async def get_invitation(
    current: CurrentSessionDep, db: SessionDep, id: Annotated[str, Query(max_length=128)]
) -> InvitationDetailOut:
    detail = await invitation_service.get_invitation(db, current, id)
    return InvitationDetailOut(
        **InvitationOut.model_validate(detail.invitation).model_dump(),
        organization_name=detail.organization.name,
        organization_slug=detail.organization.slug,
        inviter_email=detail.inviter_email,
    )


@router.get(
    "/list-invitations",
    response_model=list[InvitationOut],
    summary="An organization's invitations (owner, admin)",
)
async def list_invitations(
    current: CurrentSessionDep, db: SessionDep, organization_id: OrgIdQuery = None
) -> list[InvitationOut]:
    rows = await invitation_service.list_invitations(db, current, organization_id)
    return [InvitationOut.model_validate(row) for row in rows]


@router.get(
    "/list-user-invitations",
    response_model=list[UserInvitationOut],
    summary="The caller's pending invitations (verified email)",
)
async def list_user_invitations(
    current: CurrentSessionDep,
    db: SessionDep,
    email: Annotated[str | None, Query(max_length=320)] = None,
) -> list[UserInvitationOut]:
    rows = await invitation_service.list_user_invitations(db, current, email)
    return [
        UserInvitationOut(
            **InvitationOut.model_validate(invitation).model_dump(), organization_name=name
        )
        for invitation, name in rows
    ]


# ---- teams


@router.post("/create-team", response_model=TeamOut, summary="Create a team (owner, admin)")
async def create_team(body: CreateTeamIn, current: CurrentSessionDep, db: SessionDep) -> TeamOut:
    team = await team_service.create_team(db, current, body.name, body.organization_id)
    return TeamOut.model_validate(team)


@router.get("/list-teams", response_model=list[TeamOut], summary="An organization's teams")
async def list_teams(
    current: CurrentSessionDep, db: SessionDep, organization_id: OrgIdQuery = None
) -> list[TeamOut]:
    teams = await team_service.list_teams(db, current, organization_id)
    return [TeamOut.model_validate(team) for team in teams]


@router.post("/update-team", response_model=TeamOut, summary="Rename a team (owner, admin)")
async def update_team(body: UpdateTeamIn, current: CurrentSessionDep, db: SessionDep) -> TeamOut:
    team = await team_service.update_team(
        db, current, body.team_id, body.data.name, body.data.organization_id
    )
    return TeamOut.model_validate(team)


@router.post("/remove-team", response_model=MessageOut, summary="Remove a team (owner, admin)")
async def remove_team(body: RemoveTeamIn, current: CurrentSessionDep, db: SessionDep) -> MessageOut:
    await team_service.remove_team(db, current, body.team_id, body.organization_id)
    return MessageOut(message="Team removed successfully.")


@router.post(
    "/set-active-team",
    response_model=TeamOut | None,
    summary="Choose the session's active team (null unsets it)",
)
async def set_active_team(
    body: SetActiveTeamIn, current: CurrentSessionDep, db: SessionDep
) -> TeamOut | None:
    unset = "team_id" in body.model_fields_set and body.team_id is None
    team = await team_service.set_active_team(db, current, body.team_id, unset=unset)
    return TeamOut.model_validate(team) if team else None


@router.get("/list-user-teams", response_model=list[TeamOut], summary="The teams a user is in")
async def list_user_teams(
    current: CurrentSessionDep,
    db: SessionDep,
    user_id: Annotated[str | None, Query(alias="userId", max_length=128)] = None,
    organization_id: OrgIdQuery = None,
) -> list[TeamOut]:
    teams = await team_service.list_user_teams(db, current, user_id, organization_id)
    return [TeamOut.model_validate(team) for team in teams]


@router.get(
    "/list-team-members",
    response_model=list[TeamMemberOut],
    summary="A team's members (for members of the team)",
)
async def list_team_members(
    current: CurrentSessionDep,
    db: SessionDep,
    team_id: Annotated[str | None, Query(alias="teamId", max_length=128)] = None,
) -> list[TeamMemberOut]:
    rows = await team_service.list_team_members(db, current, team_id)
    return [TeamMemberOut.model_validate(row) for row in rows]


@router.post(
    "/add-team-member",
    response_model=TeamMemberOut,
    summary="Put a member of the organization in a team (owner, admin)",
)
async def add_team_member(
    body: TeamMemberIn, current: CurrentSessionDep, db: SessionDep
) -> TeamMemberOut:
    row = await team_service.add_team_member(
        db, current, body.team_id, body.user_id, body.organization_id
    )
    return TeamMemberOut.model_validate(row)


@router.post(
    "/remove-team-member",
    response_model=MessageOut,
    summary="Take a member out of a team (owner, admin)",
)
async def remove_team_member(
    body: TeamMemberIn, current: CurrentSessionDep, db: SessionDep
) -> MessageOut:
    await team_service.remove_team_member(
        db, current, body.team_id, body.user_id, body.organization_id
    )
    return MessageOut(message="Team member removed successfully.")
