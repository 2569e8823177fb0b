"""Invitations to organizations, with better-auth 1.7.25's rules (``routes/crud-invites.mjs``).

Owners and admins invite by email with a role (owner, admin, member); only an owner may
invite an owner. An invitation is pending for 48 hours (``invitationExpiresIn`` 172800 s),
at most 100 are pending per organization, and a second pending one for the same address is
refused unless ``resend`` (which extends it and mails it again). Only the user with the
invited email may read, accept or reject it; accepting creates the membership, joins the
invitation's teams and makes the organization the session's active one. Email verification
is not required to accept (Better Auth's default with its built-in ids), but it is to list
one's own invitations.

Never commits: the request's transaction does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from fltr_auth.billing import limits
from fltr_auth.billing.policy import BillingPolicy
from fltr_auth.email.sender import Email
from fltr_auth.errors import AuthBadRequest
from fltr_auth.security.ids import generate_id
from fltr_auth.sessions.service import ActiveSession
from fltr_auth.teams import access, repository
from fltr_auth.teams.error_codes import bad_request, forbidden
from fltr_auth.teams.models import Invitation, Member, Organization
from fltr_auth.teams.service import (
    MEMBERSHIP_LIMIT,
    add_to_team,
    organization_id_or_active,
    set_active_organization_id,
    set_active_team_id,
)
from fltr_auth.users import service as users
from fltr_shared.db import utcnow

#: ``invitationExpiresIn``'s default (48 hours).
INVITATION_EXPIRES_IN = timedelta(seconds=172800)
#: ``invitationLimit``'s default: pending invitations per organization.
INVITATION_LIMIT = 100


@dataclass(frozen=True)
class SentInvitation:
    invitation: Invitation
    email: Email


@dataclass(frozen=True)
class InvitationDetail:
    invitation: Invitation
    organization: Organization
    inviter_email: str


def _one_line(text: str) -> str:
    return " ".join(text.split())


def invitation_email(
    invitation: Invitation, organization: Organization, inviter_name: str, accept_base_url: str
) -> Email:
    """The message Better Auth leaves to ``sendInvitationEmail``, with the accept link
    ``<frontend>/accept-invitation/<invitation id>`` (the path of Better Auth's examples)."""
    link = f"{accept_base_url.rstrip('/')}/accept-invitation/{invitation.id}"
    org_name = _one_line(organization.name)
    return Email(
        to=invitation.email,
        subject=f"You are invited to join {org_name} on FLTR",
        text=(
            f"Hello,\n\n{_one_line(inviter_name)} invited you to join {org_name} on FLTR "
            f"as {invitation.role or 'member'}.\n\nAccept the invitation:\n{link}\n\n"
            f"The invitation expires on {invitation.expires_at:%Y-%m-%d %H:%M} UTC.\n"
        ),
    )


async def _team_ids(
    db: AsyncSession, organization_id: str, team_id: str | list[str] | None
) -> list[str]:
    requested = [team_id] if isinstance(team_id, str) else list(team_id or [])
    if any("," in one for one in requested):
        raise bad_request("INVALID_TEAM_ID")
    for one in requested:
        if await repository.get_team(db, one, organization_id) is None:
            raise bad_request("TEAM_NOT_FOUND")
    return requested


async def invite_member(
    db: AsyncSession,
    current: ActiveSession,
    *,
    email: str,
    role: str | list[str],
    organization_id: str | None,
    resend: bool,
    team_id: str | list[str] | None,
    accept_base_url: str,
) -> SentInvitation:
    """``POST /organization/invite-member``: a pending invitation and its email."""
    org_id = organization_id_or_active(organization_id, current)
    if not org_id:
        raise bad_request("ORGANIZATION_NOT_FOUND")
    address = users.normalize_email(email.lower())
    member = await repository.get_member(db, org_id, current.user.id)
    if member is None:
        raise bad_request("MEMBER_NOT_FOUND")
    if not access.has_permission(member.role, {"invitation": ["create"]}):
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION")
    roles = access.parse_role_list(role)
    if not roles:
        raise bad_request("ROLE_NOT_FOUND")
    unknown = access.unknown_roles(roles)
    if unknown:
        raise bad_request("ROLE_NOT_FOUND", f"ROLE_NOT_FOUND: {', '.join(unknown)}")
    inviter_is_owner = access.is_creator(member.role)
    if not inviter_is_owner and access.CREATOR_ROLE in roles:
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE")
    if await repository.get_member_by_email(db, org_id, address) is not None:
        raise bad_request("USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION")
    now = utcnow()
    pending = await repository.pending_invitations(db, org_id, now, email=address)
    if pending and not resend:
        raise bad_request("USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION")
    organization = await repository.get_organization(db, org_id)
    if organization is None:
        raise bad_request("ORGANIZATION_NOT_FOUND")
    if pending:  # resend: extend the first pending invitation and mail it again
        existing = pending[0]
        if not inviter_is_owner and access.is_creator(existing.role or ""):
            raise forbidden("YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE")
        existing.expires_at = now + INVITATION_EXPIRES_IN
        await db.flush()
        mail = invitation_email(existing, organization, current.user.name, accept_base_url)
        return SentInvitation(existing, mail)
    if len(await repository.pending_invitations(db, org_id, now)) >= INVITATION_LIMIT:
        raise forbidden("INVITATION_LIMIT_REACHED")
    team_ids = await _team_ids(db, org_id, team_id)
    invitation = Invitation(
        id=generate_id(),
        organization_id=org_id,
        email=address,
        role=access.parse_roles(roles),
        team_id=",".join(team_ids) if team_ids else None,
        status="pending",
        expires_at=now + INVITATION_EXPIRES_IN,
        created_at=now,
        inviter_id=current.user.id,
    )
    await repository.add(db, invitation)
    mail = invitation_email(invitation, organization, current.user.name, accept_base_url)
    return SentInvitation(invitation, mail)


def _check_recipient(invitation: Invitation, current: ActiveSession) -> None:
    if invitation.email.lower() != current.user.email.lower():
        raise forbidden("YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION")


async def _live_invitation(db: AsyncSession, invitation_id: str) -> Invitation:
    """Pending and unexpired, else 400 ``INVITATION_NOT_FOUND``."""
    invitation = await repository.get_invitation(db, invitation_id)
    if invitation is None or invitation.status != "pending" or invitation.expires_at < utcnow():
        raise bad_request("INVITATION_NOT_FOUND")
    return invitation


async def accept_invitation(
    db: AsyncSession,
    current: ActiveSession,
    invitation_id: str,
    plans: BillingPolicy | None = None,
) -> tuple[Invitation, Member]:
    """``POST /organization/accept-invitation``: the invited user joins with its role.

    Unlike Better Auth, a user who is already a member is refused (400
    ``USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION``) instead of getting a second row.
    """
    invitation = await _live_invitation(db, invitation_id)
    _check_recipient(invitation, current)
    org_id = invitation.organization_id
    members = await repository.count_members(db, org_id)
    if members >= MEMBERSHIP_LIMIT:
        raise forbidden("ORGANIZATION_MEMBERSHIP_LIMIT_REACHED")
    await limits.enforce(db, plans, "team_seats", "team", org_id, members)  # the plan's seats
    if await repository.get_organization(db, org_id) is None:
        raise bad_request("ORGANIZATION_NOT_FOUND")
    if await repository.get_member(db, org_id, current.user.id) is not None:
        raise bad_request("USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION")
    accepted = await repository.set_invitation_status(
        db, invitation_id, "accepted", from_status="pending"
    )
    if accepted is None:  # accepted, rejected or canceled meanwhile
        raise bad_request("INVITATION_NOT_FOUND")
    team_ids = accepted.team_id.split(",") if accepted.team_id else []
    for team_id in team_ids:
        if await repository.get_team(db, team_id, org_id) is None:
            raise bad_request("TEAM_NOT_FOUND")
        await add_to_team(db, team_id, current.user.id)
    if len(team_ids) == 1:
        await set_active_team_id(db, current, team_ids[0])
    member = Member(
        id=generate_id(),
        organization_id=org_id,
        user_id=current.user.id,
        role=access.parse_roles(accepted.role or "member"),
        created_at=utcnow(),
    )
    await repository.add(db, member)
    await set_active_organization_id(db, current, org_id)
    return accepted, member


async def reject_invitation(
    db: AsyncSession, current: ActiveSession, invitation_id: str
) -> Invitation | None:
    """``POST /organization/reject-invitation`` (the invited user only)."""
    invitation = await repository.get_invitation(db, invitation_id)
    if invitation is None or invitation.status != "pending":
        raise AuthBadRequest("INVITATION_NOT_FOUND", "Invitation not found!")
    _check_recipient(invitation, current)
    if await repository.get_organization(db, invitation.organization_id) is None:
        raise bad_request("ORGANIZATION_NOT_FOUND")
    return await repository.set_invitation_status(db, invitation_id, "rejected")


async def cancel_invitation(
    db: AsyncSession, current: ActiveSession, invitation_id: str
) -> Invitation | None:
    """``POST /organization/cancel-invitation`` (owner and admin of its organization)."""
    invitation = await repository.get_invitation(db, invitation_id)
    if invitation is None:
        raise bad_request("INVITATION_NOT_FOUND")
    member = await repository.get_member(db, invitation.organization_id, current.user.id)
    if member is None:
        raise bad_request("MEMBER_NOT_FOUND")
    if not access.has_permission(member.role, {"invitation": ["cancel"]}):
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_CANCEL_THIS_INVITATION")
    if await repository.get_organization(db, invitation.organization_id) is None:
        raise bad_request("ORGANIZATION_NOT_FOUND")
    return await repository.set_invitation_status(db, invitation_id, "canceled")


async def get_invitation(
    db: AsyncSession, current: ActiveSession, invitation_id: str
) -> InvitationDetail:
    """``GET /organization/get-invitation`` (the invited user only, while it is pending)."""
    invitation = await _live_invitation(db, invitation_id)
    _check_recipient(invitation, current)
    organization = await repository.get_organization(db, invitation.organization_id)
    if organization is None:
        raise bad_request("ORGANIZATION_NOT_FOUND")
    inviter = await repository.get_member_with_user(
        db, invitation.organization_id, invitation.inviter_id
    )
    if inviter is None:
        raise bad_request("INVITER_IS_NO_LONGER_A_MEMBER_OF_THE_ORGANIZATION")
    return InvitationDetail(invitation, organization, inviter[1].email)


async def list_invitations(
    db: AsyncSession, current: ActiveSession, organization_id: str | None
) -> list[Invitation]:
    """``GET /organization/list-invitations`` (owner and admin; owners alone see invitations
    that grant ``owner``)."""
    org_id = organization_id_or_active(organization_id, current)
    if not org_id:
        raise AuthBadRequest("BAD_REQUEST", "Organization ID is required")
    member = await repository.get_member(db, org_id, current.user.id)
    if member is None:
        raise forbidden("YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION")
    if not access.can_view_invitations(member.role):
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_LIST_INVITATIONS")
    invitations = await repository.list_invitations(db, org_id)
    return access.without_creator_role_invitations(invitations, member.role)


async def list_user_invitations(
    db: AsyncSession, current: ActiveSession, email: str | None
) -> Sequence[tuple[Invitation, str | None]]:
    """``GET /organization/list-user-invitations``: the caller's pending invitations (with
    their organization's name); needs a verified email."""
    if email:
        raise AuthBadRequest(
            "BAD_REQUEST", "User email cannot be passed for client side API calls."
        )
    if not current.user.email_verified:
        raise forbidden("EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION")
    rows = await repository.invitations_for_email(db, current.user.email)
    return [(invitation, name) for invitation, name in rows if invitation.status == "pending"]
