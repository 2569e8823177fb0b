"""Bodies of ``/api/auth/organization/*`` in better-auth 1.7.25's shapes.

Better Auth answers with its adapter's rows: every column of the table (``null`` when empty,
camelCase keys, JavaScript dates), minus the hidden ones (``teams.memberCount`` and
``team_members.membershipKey``). Two quirks are reproduced: ``create`` and ``update`` answer
with ``metadata`` parsed from JSON (and leave the key out when there is none), while every
other route returns the stored JSON string; ``get-full-organization`` lists its teams with
``memberCount``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic import Field, model_validator

from fltr_auth.teams.models import Invitation, Member, Organization, Team
from fltr_auth.wire import JsDate, WireModel

NAME = Field(min_length=1, max_length=200)
ID = Field(max_length=128)
OPTIONAL_ID = Field(None, max_length=128)
RoleInput = str | list[str]


# ---- responses


class OrganizationOut(WireModel):
    id: str
    name: str
    slug: str
    logo: str | None
    created_at: JsDate
    metadata: str | None

    @classmethod
    def of(cls, org: Organization) -> OrganizationOut:
        return cls(
            id=org.id,
            name=org.name,
            slug=org.slug,
            logo=org.logo,
            created_at=org.created_at,
            metadata=org.metadata_,
        )


class MemberOut(WireModel):
    id: str
    organization_id: str
    user_id: str
    role: str
    created_at: JsDate


class MemberUserOut(WireModel):
    id: str
    name: str
    email: str
    image: str | None


class MemberWithUserOut(MemberOut):
    user: MemberUserOut

    @classmethod
    def of(cls, member: Member, user: object) -> MemberWithUserOut:
        """The member with ``{id, name, email, image}`` of its user (a ``users`` row)."""
        return cls(
            id=member.id,
            organization_id=member.organization_id,
            user_id=member.user_id,
            role=member.role,
            created_at=member.created_at,
            user=MemberUserOut.model_validate(user),
        )


def _parsed_fields(org: Organization) -> dict[str, Any]:
    return {
        "id": org.id,
        "name": org.name,
        "slug": org.slug,
        "logo": org.logo,
        "created_at": org.created_at,
        "metadata": json.loads(org.metadata_) if org.metadata_ else None,
    }


class ParsedOrganizationOut(WireModel):
    """``create`` and ``update``: ``metadata`` parsed, absent when the column is empty."""

    id: str
    name: str
    slug: str
    logo: str | None
    created_at: JsDate
    metadata: Any = Field(None, exclude_if=lambda value: value is None)

    @classmethod
    def of(cls, org: Organization) -> ParsedOrganizationOut:
        return cls(**_parsed_fields(org))


class CreatedOrganizationOut(ParsedOrganizationOut):
    members: list[MemberOut]

    @classmethod
    def created(cls, org: Organization, member: Member) -> CreatedOrganizationOut:
        return cls(**_parsed_fields(org), members=[MemberOut.model_validate(member)])


class InvitationOut(WireModel):
    id: str
    organization_id: str
    email: str
    role: str | None
    team_id: str | None
    status: str
    expires_at: JsDate
    created_at: JsDate
    inviter_id: str


class InvitationDetailOut(InvitationOut):
    """``get-invitation``: the invitation with its organization and inviter."""

    organization_name: str
    organization_slug: str
    inviter_email: str


class UserInvitationOut(InvitationOut):
    """``list-user-invitations``: the invitation with its organization's name."""

    organization_name: str | None


class TeamOut(WireModel):
    id: str
    name: str
    organization_id: str
    created_at: JsDate
    updated_at: JsDate | None


class TeamWithCountOut(TeamOut):
    member_count: int


class TeamMemberOut(WireModel):
    id: str
    team_id: str
    user_id: str
    created_at: JsDate | None


class FullOrganizationOut(OrganizationOut):
    invitations: list[InvitationOut]
    members: list[MemberWithUserOut]
    teams: list[TeamWithCountOut]

    @classmethod
    def full(
        cls,
        org: Organization,
        members: Sequence[tuple[Member, object]],
        invitations: Sequence[Invitation],
        teams: Sequence[Team],
    ) -> FullOrganizationOut:
        return cls(
            **OrganizationOut.of(org).model_dump(),
            invitations=[InvitationOut.model_validate(i) for i in invitations],
            members=[MemberWithUserOut.of(member, user) for member, user in members],
            teams=[TeamWithCountOut.model_validate(t) for t in teams],
        )


class MemberListOut(WireModel):
    members: list[MemberWithUserOut]
    total: int


class RemovedMemberOut(WireModel):
    member: MemberWithUserOut | MemberOut


class RoleOut(WireModel):
    role: str


class AcceptedInvitationOut(WireModel):
    invitation: InvitationOut
    member: MemberOut


class RejectedInvitationOut(WireModel):
    invitation: InvitationOut | None
    member: None = None


class MessageOut(WireModel):
    message: str


class SlugStatusOut(WireModel):
    status: bool


class PermissionOut(WireModel):
    error: None = None
    success: bool


# ---- requests (unknown keys are ignored, as zod's object schemas do)


class CreateOrganizationIn(WireModel):
    name: str = NAME
    slug: str = Field(min_length=1, max_length=200)
    # Server-only in Better Auth: a request with headers always acts as its session's user.
    user_id: str | None = OPTIONAL_ID
    logo: str | None = Field(None, max_length=2048)
    metadata: dict[str, Any] | None = None
    keep_current_active_organization: bool = False


class UpdateOrganizationData(WireModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    slug: str | None = Field(None, min_length=1, max_length=200)
    logo: str | None = Field(None, max_length=2048)
    metadata: dict[str, Any] | None = None


class UpdateOrganizationIn(WireModel):
    data: UpdateOrganizationData
    organization_id: str | None = OPTIONAL_ID


class OrganizationIdIn(WireModel):
    organization_id: str = ID


class SetActiveOrganizationIn(WireModel):
    """``organizationId: null`` unsets the active organization; leaving both out re-reads it."""

    organization_id: str | None = OPTIONAL_ID
    organization_slug: str | None = Field(None, max_length=200)


class CheckSlugIn(WireModel):
    slug: str = Field(max_length=200)


class InviteMemberIn(WireModel):
    email: str = Field(max_length=320)
    role: RoleInput
    organization_id: str | None = OPTIONAL_ID
    resend: bool = False
    team_id: str | list[str] | None = None


class InvitationIdIn(WireModel):
    invitation_id: str = ID


class RemoveMemberIn(WireModel):
    member_id_or_email: str = Field(max_length=320)
    organization_id: str | None = OPTIONAL_ID


class UpdateMemberRoleIn(WireModel):
    role: RoleInput
    member_id: str = ID
    organization_id: str | None = OPTIONAL_ID


class CreateTeamIn(WireModel):
    name: str = Field(max_length=200)
    organization_id: str | None = OPTIONAL_ID


class UpdateTeamData(WireModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    organization_id: str | None = OPTIONAL_ID


class UpdateTeamIn(WireModel):
    team_id: str = ID
    data: UpdateTeamData


class RemoveTeamIn(WireModel):
    team_id: str = ID
    organization_id: str | None = OPTIONAL_ID


class SetActiveTeamIn(WireModel):
    """``teamId: null`` unsets the active team; leaving it out re-reads the active one."""

    team_id: str | None = OPTIONAL_ID


class TeamMemberIn(WireModel):
    team_id: str = ID
    user_id: str = ID
    organization_id: str | None = OPTIONAL_ID


class HasPermissionIn(WireModel):
    """Exactly one of ``permissions`` or the deprecated ``permission``."""

    organization_id: str | None = OPTIONAL_ID
    permission: dict[str, list[str]] | None = None
    permissions: dict[str, list[str]] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> HasPermissionIn:
        if (self.permission is None) == (self.permissions is None):
            raise ValueError("give exactly one of permissions or permission")
        return self

    @property
    def requested(self) -> dict[str, list[str]]:
        return self.permissions if self.permissions is not None else self.permission or {}
