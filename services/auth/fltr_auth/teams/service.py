"""Organizations and their members, with better-auth 1.7.25's organization-plugin rules.

Each public function reproduces one route of ``plugins/organization/routes/crud-org.mjs`` or
``crud-members.mjs``, configured as FLTR's frontend configures the plugin: teams enabled with
their default team, the default roles (``access.py``), ``membershipLimit`` 100, no
organization limit, deletion allowed. The checks run in Better Auth's order, so a refusal
carries the same code. Invitations live in ``invitation_service.py``, teams in
``team_service.py``.

Never commits: the request's transaction does, and a refusal rolls every change back.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.security.ids import generate_id
from fltr_auth.sessions.service import ActiveSession
from fltr_auth.teams import access, repository
from fltr_auth.teams.error_codes import bad_request, forbidden, unauthorized
from fltr_auth.teams.models import Invitation, Member, Organization, Team, TeamMember

# re-exported for the router, which must not import the repository
from fltr_auth.teams.repository import MemberAndUser as MemberAndUser
from fltr_auth.teams.repository import MemberFilter as MemberFilter
from fltr_auth.users.models import User
from fltr_shared.db import utcnow
from fltr_shared.errors import AppError

#: ``membershipLimit``'s default: members per organization (and rows of member lists).
MEMBERSHIP_LIMIT = 100


class RefusedAfterReset(Exception):
    """A refusal that keeps the change made before it.

    Better Auth clears the session's active organization when a non-member asks for an
    organization, then refuses (403 ``USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION``); the
    cleared value stays. The router answers ``error`` and lets the transaction commit.
    """

    def __init__(self, error: AppError) -> None:
        super().__init__(error.detail)
        self.error = error


@dataclass(frozen=True)
class CreatedOrganization:
    organization: Organization
    member: Member


@dataclass(frozen=True)
class FullOrganization:
    organization: Organization
    members: list[MemberAndUser]
    invitations: list[Invitation]
    teams: Sequence[Team]


@dataclass(frozen=True)
class RemovedMember:
    member: Member
    user: User | None  # Better Auth includes the user only when the member was named by email


# ---- helpers shared with invitation_service and team_service


def organization_id_or_active(explicit: str | None, current: ActiveSession) -> str | None:
    """The ``organizationId`` given, else the session's active organization."""
    return explicit or current.session.active_organization_id


async def set_active_organization_id(
    db: AsyncSession, current: ActiveSession, organization_id: str | None
) -> None:
    """``adapter.setActiveOrganization``: update the caller's session row."""
    current.session.active_organization_id = organization_id
    current.session.updated_at = utcnow()
    await db.flush()


async def set_active_team_id(db: AsyncSession, current: ActiveSession, team_id: str | None) -> None:
    """``adapter.setActiveTeam``: update the caller's session row."""
    current.session.active_team_id = team_id
    current.session.updated_at = utcnow()
    await db.flush()


def membership_key(team_id: str, user_id: str) -> str:
    """``computeTeamMembershipKey``: base64url(SHA-256(JSON.stringify([teamId, userId])))."""
    data = json.dumps([team_id, user_id], separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(data.encode("utf-8", "surrogatepass")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


async def add_to_team(db: AsyncSession, team_id: str, user_id: str) -> TeamMember:
    """``findOrCreateTeamMember``: the existing membership, or a new one (seat counted)."""
    key = membership_key(team_id, user_id)
    existing = await repository.get_team_member(db, team_id, user_id, key)
    if existing is not None:
        return existing
    row = TeamMember(
        id=generate_id(), team_id=team_id, user_id=user_id, membership_key=key, created_at=utcnow()
    )
    if not await repository.insert_team_member(db, row):  # a concurrent insert won
        existing = await repository.get_team_member(db, team_id, user_id, key)
        if existing is None:
            raise bad_request("USER_IS_NOT_A_MEMBER_OF_THE_TEAM")
        return existing
    await repository.sync_member_count(db, team_id)
    return row


async def count_owners(db: AsyncSession, organization_id: str) -> int:
    roles = await repository.member_roles(db, organization_id)
    return sum(1 for role in roles if access.is_creator(role))


async def member_role(db: AsyncSession, organization_id: str, user_id: str) -> str | None:
    """The user's role in the organization (``"owner"``, ``"admin"``, ``"member"`` or a
    comma-separated list of them), or None when the user is not a member."""
    member = await repository.get_member(db, organization_id, user_id)
    return member.role if member is not None else None


async def _member_of(db: AsyncSession, organization_id: str, user_id: str) -> Member | None:
    return await repository.get_member(db, organization_id, user_id)


def _metadata_json(metadata: dict[str, Any]) -> str:
    """``JSON.stringify(metadata)``."""
    return json.dumps(metadata, separators=(",", ":"), ensure_ascii=False)


# ---- organizations (crud-org.mjs)


async def create_organization(
    db: AsyncSession,
    current: ActiveSession,
    *,
    name: str,
    slug: str,
    logo: str | None,
    metadata: dict[str, Any] | None,
    keep_current_active_organization: bool,
) -> CreatedOrganization:
    """``POST /organization/create``: the caller becomes its ``owner`` and the only member of
    a default team named like the organization; both become the session's active ones unless
    ``keepCurrentActiveOrganization``. A taken slug is 400 ``ORGANIZATION_ALREADY_EXISTS``."""
    if await repository.get_organization_by_slug(db, slug) is not None:
        raise bad_request("ORGANIZATION_ALREADY_EXISTS")
    now = utcnow()
    org = Organization(
        id=generate_id(),
        name=name,
        slug=slug,
        logo=logo,
        created_at=now,
        metadata_=_metadata_json(metadata) if metadata is not None else None,
    )
    if not await repository.insert_organization(db, org):
        raise bad_request("ORGANIZATION_ALREADY_EXISTS")
    member = Member(
        id=generate_id(),
        organization_id=org.id,
        user_id=current.user.id,
        role=access.CREATOR_ROLE,
        created_at=now,
    )
    team = Team(id=generate_id(), name=org.name, organization_id=org.id, created_at=now)
    await repository.add(db, member, team)
    await add_to_team(db, team.id, current.user.id)
    if not keep_current_active_organization:
        await set_active_organization_id(db, current, org.id)
        await set_active_team_id(db, current, team.id)
    return CreatedOrganization(org, member)


async def check_slug(db: AsyncSession, slug: str) -> None:
    """``POST /organization/check-slug``: 400 ``ORGANIZATION_SLUG_ALREADY_TAKEN`` if taken."""
    if await repository.get_organization_by_slug(db, slug) is not None:
        raise bad_request("ORGANIZATION_SLUG_ALREADY_TAKEN")


async def update_organization(
    db: AsyncSession,
    current: ActiveSession,
    organization_id: str | None,
    *,
    changes: dict[str, Any],
) -> Organization:
    """``POST /organization/update`` (owner and admin): ``changes`` holds the fields sent
    (``name``, ``slug``, ``logo`` (may be null), ``metadata``)."""
    org_id = organization_id_or_active(organization_id, current)
    if not org_id:
        raise bad_request("ORGANIZATION_NOT_FOUND")
    member = await _member_of(db, org_id, current.user.id)
    if member is None:
        raise bad_request("USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
    if not access.has_permission(member.role, {"organization": ["update"]}):
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_ORGANIZATION")
    slug = changes.get("slug")
    if isinstance(slug, str):
        other = await repository.get_organization_by_slug(db, slug)
        if other is not None and other.id != org_id:
            raise bad_request("ORGANIZATION_SLUG_ALREADY_TAKEN")
    org = await repository.get_organization(db, org_id)
    if org is None:
        raise bad_request("ORGANIZATION_NOT_FOUND")
    if changes.get("name") is not None:
        org.name = changes["name"]
    if isinstance(slug, str):
        org.slug = slug
    if "logo" in changes:
        org.logo = changes["logo"]
    if changes.get("metadata") is not None:
        org.metadata_ = _metadata_json(changes["metadata"])
    await db.flush()
    return org


async def delete_organization(
    db: AsyncSession, current: ActiveSession, organization_id: str
) -> Organization:
    """``POST /organization/delete`` (owners only): removes its members, invitations and
    teams; clears the caller's active organization if it was this one."""
    member = await _member_of(db, organization_id, current.user.id)
    if member is None:
        raise bad_request("USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
    if not access.has_permission(member.role, {"organization": ["delete"]}):
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_ORGANIZATION")
    org = await repository.get_organization(db, organization_id)
    if org is None:
        raise bad_request("ORGANIZATION_NOT_FOUND")
    await repository.delete_organization(db, organization_id)
    if current.session.active_organization_id == organization_id:
        await set_active_organization_id(db, current, None)
    return org


async def _readable_organization(
    db: AsyncSession, current: ActiveSession, org: Organization | None
) -> Organization:
    """The organization if the caller is a member. Otherwise Better Auth clears the session's
    active organization and refuses: 400 ``ORGANIZATION_NOT_FOUND`` when there is no such
    organization, 403 ``USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION`` when the caller is not in
    it (nothing of it is shown)."""
    if org is None:
        raise bad_request("ORGANIZATION_NOT_FOUND")
    if await _member_of(db, org.id, current.user.id) is None:
        await set_active_organization_id(db, current, None)
        raise RefusedAfterReset(forbidden("USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"))
    return org


async def _find(
    db: AsyncSession, current: ActiveSession, organization_id: str | None, slug: str | None
) -> tuple[bool, Organization | None]:
    """(whether one is named, the organization): by slug, else id, else the active one."""
    if slug:
        return True, await repository.get_organization_by_slug(db, slug)
    org_id = organization_id or current.session.active_organization_id
    if not org_id:
        return False, None
    return True, await repository.get_organization(db, org_id)


async def get_organization(
    db: AsyncSession, current: ActiveSession, organization_id: str | None, slug: str | None
) -> Organization | None:
    """``GET /organization/get-organization``: null when none is named or active."""
    named, found = await _find(db, current, organization_id, slug)
    if not named:
        return None
    return await _readable_organization(db, current, found)


async def get_full_organization(
    db: AsyncSession,
    current: ActiveSession,
    organization_id: str | None,
    slug: str | None,
    members_limit: int | None,
) -> FullOrganization | None:
    """``GET /organization/get-full-organization``: the organization with its members (and
    their users), teams and invitations; only owners and admins see invitations, and only
    owners see those that grant ``owner``. Null when none is named or active."""
    named, found = await _find(db, current, organization_id, slug)
    if not named:
        return None
    org = await _readable_organization(db, current, found)
    role = await member_role(db, org.id, current.user.id) or ""
    members, _ = await repository.list_members(db, org.id, limit=members_limit or MEMBERSHIP_LIMIT)
    invitations: list[Invitation] = []
    if access.can_view_invitations(role):
        invitations = access.without_creator_role_invitations(
            await repository.list_invitations(db, org.id), role
        )
    teams = await repository.list_teams(db, org.id)
    return FullOrganization(org, members, invitations, teams)


async def set_active_organization(
    db: AsyncSession,
    current: ActiveSession,
    organization_id: str | None,
    slug: str | None,
    *,
    unset: bool,
) -> Organization | None:
    """``POST /organization/set-active``: ``organizationId: null`` (``unset``) clears the
    active organization; naming none re-reads the active one; a non-member is refused."""
    if unset:
        if current.session.active_organization_id:
            await set_active_organization_id(db, current, None)
        return None
    org_id = organization_id
    if not org_id and not slug:
        if not current.session.active_organization_id:
            return None
        org_id = current.session.active_organization_id
    if slug and not org_id:
        by_slug = await repository.get_organization_by_slug(db, slug)
        if by_slug is None:
            raise bad_request("ORGANIZATION_NOT_FOUND")
        org_id = by_slug.id
    assert org_id is not None
    if await _member_of(db, org_id, current.user.id) is None:
        await set_active_organization_id(db, current, None)
        raise RefusedAfterReset(forbidden("USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"))
    org = await repository.get_organization(db, org_id)
    if org is None:
        raise bad_request("ORGANIZATION_NOT_FOUND")
    await set_active_organization_id(db, current, org.id)
    return org


async def list_organizations(db: AsyncSession, current: ActiveSession) -> Sequence[Organization]:
    """``GET /organization/list``: the organizations the caller is a member of."""
    return await repository.organizations_of_user(db, current.user.id)


# ---- members (crud-members.mjs)


async def remove_member(
    db: AsyncSession, current: ActiveSession, member_id_or_email: str, organization_id: str | None
) -> RemovedMember:
    """``POST /organization/remove-member`` (owner and admin; by member id or email). Only an
    owner may remove an owner, and never the last one. Refusals use Better Auth's statuses,
    including its 401 for a role without ``member:delete``."""
    org_id = organization_id_or_active(organization_id, current)
    if not org_id:
        raise bad_request("NO_ACTIVE_ORGANIZATION")
    member = await _member_of(db, org_id, current.user.id)
    if member is None:
        raise bad_request("MEMBER_NOT_FOUND")
    if "@" in member_id_or_email:
        found = await repository.get_member_by_email(db, org_id, member_id_or_email)
        target, user = found if found else (None, None)
    else:
        found = await repository.get_member_by_id(db, member_id_or_email)
        target, user = (found[0], None) if found else (None, None)
    if target is None:
        raise bad_request("MEMBER_NOT_FOUND")
    if access.is_creator(target.role) and (
        not access.is_creator(member.role) or await count_owners(db, org_id) <= 1
    ):
        raise bad_request("YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER")
    if not access.has_permission(member.role, {"member": ["delete"]}):
        raise unauthorized("YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER")
    if target.organization_id != org_id:
        raise bad_request("MEMBER_NOT_FOUND")
    await repository.delete_member(db, target)
    if (
        target.user_id == current.user.id
        and current.session.active_organization_id == target.organization_id
    ):
        await set_active_organization_id(db, current, None)
    return RemovedMember(target, user)


async def update_member_role(
    db: AsyncSession,
    current: ActiveSession,
    member_id: str,
    role: str | list[str],
    organization_id: str | None,
) -> Member:
    """``POST /organization/update-member-role`` (owner and admin). Only owners may change an
    owner or make one; the last owner cannot step down; roles are owner, admin, member."""
    org_id = organization_id_or_active(organization_id, current)
    if not org_id:
        raise bad_request("NO_ACTIVE_ORGANIZATION")
    roles = access.parse_role_list(role)
    if not roles:
        raise bad_request("BAD_REQUEST", "Bad Request")
    member = await _member_of(db, org_id, current.user.id)
    if member is None:
        raise bad_request("MEMBER_NOT_FOUND")
    if member.id == member_id:
        target: Member | None = member
    else:
        found = await repository.get_member_by_id(db, member_id)
        target = found[0] if found else None
    if target is None:
        raise bad_request("MEMBER_NOT_FOUND")
    if target.organization_id != org_id:
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER")
    updater_is_owner = access.is_creator(member.role)
    setting_owner = access.CREATOR_ROLE in roles
    if (access.is_creator(target.role) or setting_owner) and not updater_is_owner:
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER")
    if (
        updater_is_owner
        and member.id == target.id
        and not setting_owner
        and await count_owners(db, org_id) <= 1
    ):
        raise bad_request("YOU_CANNOT_LEAVE_THE_ORGANIZATION_WITHOUT_AN_OWNER")
    if not access.has_permission(member.role, {"member": ["update"]}):
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER")
    unknown = access.unknown_roles(roles)
    if unknown:
        raise bad_request("ROLE_NOT_FOUND", f"ROLE_NOT_FOUND: {', '.join(unknown)}")
    target.role = access.parse_roles(roles)
    await db.flush()
    return target


async def get_active_member(db: AsyncSession, current: ActiveSession) -> MemberAndUser:
    """``GET /organization/get-active-member``: the caller's membership in the active one."""
    org_id = current.session.active_organization_id
    if not org_id:
        raise bad_request("NO_ACTIVE_ORGANIZATION")
    found = await repository.get_member_with_user(db, org_id, current.user.id)
    if found is None:
        raise bad_request("MEMBER_NOT_FOUND")
    return found


async def _listed_organization_id(
    db: AsyncSession, current: ActiveSession, organization_id: str | None, slug: str | None
) -> str:
    """list-members' and get-active-member-role's choice: slug, else id, else active; and
    403 ``YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION`` unless the caller is in it."""
    org_id = organization_id_or_active(organization_id, current)
    if slug:
        org = await repository.get_organization_by_slug(db, slug)
        if org is None:
            raise bad_request("ORGANIZATION_NOT_FOUND")
        org_id = org.id
    if not org_id:
        raise bad_request("NO_ACTIVE_ORGANIZATION")
    if await _member_of(db, org_id, current.user.id) is None:
        raise forbidden("YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION")
    return org_id


async def list_members(
    db: AsyncSession,
    current: ActiveSession,
    *,
    organization_id: str | None,
    slug: str | None,
    limit: int | None,
    offset: int | None,
    sort_by: str | None,
    descending: bool,
    member_filter: MemberFilter | None,
) -> tuple[list[MemberAndUser], int]:
    """``GET /organization/list-members``: members with their users, and the total."""
    org_id = await _listed_organization_id(db, current, organization_id, slug)
    return await repository.list_members(
        db,
        org_id,
        limit=limit or MEMBERSHIP_LIMIT,
        offset=offset or 0,
        sort_by=sort_by,
        descending=descending,
        member_filter=member_filter,
    )


async def get_active_member_role(
    db: AsyncSession,
    current: ActiveSession,
    *,
    user_id: str | None,
    organization_id: str | None,
    slug: str | None,
) -> str:
    """``GET /organization/get-active-member-role``: the caller's role, or another member's."""
    org_id = await _listed_organization_id(db, current, organization_id, slug)
    role = await member_role(db, org_id, user_id or current.user.id)
    if role is None:
        raise forbidden("YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION")
    return role


async def leave_organization(
    db: AsyncSession, current: ActiveSession, organization_id: str
) -> MemberAndUser:
    """``POST /organization/leave``: anyone but the last owner may leave."""
    found = await repository.get_member_with_user(db, organization_id, current.user.id)
    if found is None:
        raise bad_request("MEMBER_NOT_FOUND")
    member = found[0]
    if access.is_creator(member.role) and await count_owners(db, organization_id) <= 1:
        raise bad_request("YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER")
    await repository.delete_member(db, member)
    if current.session.active_organization_id == organization_id:
        await set_active_organization_id(db, current, None)
    return found


async def has_permission(
    db: AsyncSession,
    current: ActiveSession,
    organization_id: str | None,
    permissions: dict[str, list[str]],
) -> bool:
    """``POST /organization/has-permission``: whether the caller's role allows all of it."""
    org_id = organization_id_or_active(organization_id, current)
    if not org_id:
        raise bad_request("NO_ACTIVE_ORGANIZATION")
    role = await member_role(db, org_id, current.user.id)
    if role is None:
        raise unauthorized("USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
    return access.has_permission(role, permissions)
