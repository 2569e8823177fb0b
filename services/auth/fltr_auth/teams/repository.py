"""SQL for organizations, members, invitations, teams and team members.

Each function is one of the organization plugin adapter's operations (better-auth 1.7.25
``plugins/organization/adapter.mjs``) over FLTR's tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from fltr_auth.db import Base
from fltr_auth.teams.models import Invitation, Member, Organization, Team, TeamMember
from fltr_auth.users.models import User

MemberAndUser = tuple[Member, User]

#: ``members`` columns by Better Auth field name (list-members ``sortBy``/``filterField``).
MEMBER_FIELDS: dict[str, InstrumentedAttribute[Any]] = {
    "id": Member.id,
    "organizationId": Member.organization_id,
    "userId": Member.user_id,
    "role": Member.role,
    "createdAt": Member.created_at,
}


@dataclass(frozen=True)
class MemberFilter:
    field: str  # a key of MEMBER_FIELDS
    operator: str  # one of Better Auth's whereOperators
    values: Sequence[str]


async def add(db: AsyncSession, *rows: Base) -> None:
    db.add_all(rows)
    await db.flush()


# ---- organizations


async def insert_organization(db: AsyncSession, org: Organization) -> bool:
    """Insert, or return False when another organization took the slug meanwhile."""
    try:
        async with db.begin_nested():
            db.add(org)
    except IntegrityError:
        return False
    return True


async def get_organization(db: AsyncSession, organization_id: str) -> Organization | None:
    return await db.get(Organization, organization_id)


async def get_organization_by_slug(db: AsyncSession, slug: str) -> Organization | None:
    result = await db.execute(select(Organization).where(Organization.slug == slug))
    return result.scalar_one_or_none()


async def organizations_of_user(db: AsyncSession, user_id: str) -> Sequence[Organization]:
    result = await db.execute(
        select(Organization)
        .join(Member, Member.organization_id == Organization.id)
        .where(Member.user_id == user_id)
        .order_by(Member.created_at, Member.id)
    )
    return result.scalars().all()


async def delete_organization(db: AsyncSession, organization_id: str) -> None:
    team_ids = select(Team.id).where(Team.organization_id == organization_id)
    for stmt in (
        delete(TeamMember).where(TeamMember.team_id.in_(team_ids)),
        delete(Team).where(Team.organization_id == organization_id),
        delete(Invitation).where(Invitation.organization_id == organization_id),
        delete(Member).where(Member.organization_id == organization_id),
        delete(Organization).where(Organization.id == organization_id),
    ):
        await db.execute(stmt.execution_options(synchronize_session="fetch"))


# ---- members


async def get_member(db: AsyncSession, organization_id: str, user_id: str) -> Member | None:
    result = await db.execute(
        select(Member)
        .where(Member.organization_id == organization_id, Member.user_id == user_id)
        .order_by(Member.created_at, Member.id)
        .limit(1)
    )
    return result.scalar_one_or_none()


async def _member_and_user(db: AsyncSession, *where: ColumnElement[bool]) -> MemberAndUser | None:
    result = await db.execute(
        select(Member, User)
        .join(User, User.id == Member.user_id)
        .where(*where)
        .order_by(Member.created_at, Member.id)
        .limit(1)
    )
    row = result.first()
    return (row[0], row[1]) if row else None


async def get_member_with_user(
    db: AsyncSession, organization_id: str, user_id: str
) -> MemberAndUser | None:
    return await _member_and_user(
        db, Member.organization_id == organization_id, Member.user_id == user_id
    )


async def get_member_by_id(db: AsyncSession, member_id: str) -> MemberAndUser | None:
    return await _member_and_user(db, Member.id == member_id)


async def get_member_by_email(
    db: AsyncSession, organization_id: str, email: str
) -> MemberAndUser | None:
    return await _member_and_user(
        db, Member.organization_id == organization_id, User.email == email.lower()
    )


async def member_roles(db: AsyncSession, organization_id: str) -> list[str]:
    result = await db.execute(select(Member.role).where(Member.organization_id == organization_id))
    return list(result.scalars().all())


async def count_members(db: AsyncSession, organization_id: str) -> int:
    result = await db.execute(
        select(func.count()).select_from(Member).where(Member.organization_id == organization_id)
    )
    return int(result.scalar_one())


def _filter_clause(member_filter: MemberFilter) -> ColumnElement[bool]:
    column = MEMBER_FIELDS[member_filter.field]
    values = list(member_filter.values)
    first = values[0] if values else ""
    match member_filter.operator:
        case "in":
            return column.in_(values)
        case "not_in":
            return column.not_in(values)
        case "ne":
            return column != first
        case "lt":
            return column < first
        case "lte":
            return column <= first
        case "gt":
            return column > first
        case "gte":
            return column >= first
        case "contains":
            return column.contains(first, autoescape=True)
        case "starts_with":
            return column.startswith(first, autoescape=True)
        case "ends_with":
            return column.endswith(first, autoescape=True)
        case _:
            return column == first


async def list_members(
    db: AsyncSession,
    organization_id: str,
    *,
    limit: int,
    offset: int = 0,
    sort_by: str | None = None,
    descending: bool = False,
    member_filter: MemberFilter | None = None,
) -> tuple[list[MemberAndUser], int]:
    where: list[ColumnElement[bool]] = [Member.organization_id == organization_id]
    if member_filter is not None:
        where.append(_filter_clause(member_filter))
    total = await db.execute(select(func.count()).select_from(Member).where(*where))
    order: list[Any] = [Member.created_at, Member.id]
    if sort_by is not None:
        column = MEMBER_FIELDS[sort_by]
        order.insert(0, column.desc() if descending else column.asc())
    result = await db.execute(
        select(Member, User)
        .join(User, User.id == Member.user_id)
        .where(*where)
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    )
    return [(row[0], row[1]) for row in result.all()], int(total.scalar_one())


async def delete_member(db: AsyncSession, member: Member) -> None:
    """The membership and the user's places in the organization's teams (``deleteMember``)."""
    team_ids = (
        await db.execute(select(Team.id).where(Team.organization_id == member.organization_id))
    ).scalars()
    ids = list(team_ids)
    if ids:
        await db.execute(
            delete(TeamMember)
            .where(TeamMember.user_id == member.user_id, TeamMember.team_id.in_(ids))
            .execution_options(synchronize_session="fetch")
        )
        for team_id in ids:
            await sync_member_count(db, team_id)
    await db.delete(member)
    await db.flush()


# ---- invitations


async def get_invitation(db: AsyncSession, invitation_id: str) -> Invitation | None:
    return await db.get(Invitation, invitation_id)


async def pending_invitations(
    db: AsyncSession, organization_id: str, now: datetime, email: str | None = None
) -> Sequence[Invitation]:
    """Pending, unexpired invitations (``findPendingInvitation(s)``), oldest first."""
    query = select(Invitation).where(
        Invitation.organization_id == organization_id,
        Invitation.status == "pending",
        Invitation.expires_at > now,
    )
    if email is not None:
        query = query.where(Invitation.email == email.lower())
    result = await db.execute(query.order_by(Invitation.created_at, Invitation.id))
    return result.scalars().all()


async def list_invitations(db: AsyncSession, organization_id: str) -> Sequence[Invitation]:
    result = await db.execute(
        select(Invitation)
        .where(Invitation.organization_id == organization_id)
        .order_by(Invitation.created_at, Invitation.id)
    )
    return result.scalars().all()


async def invitations_for_email(
    db: AsyncSession, email: str
) -> list[tuple[Invitation, str | None]]:
    """Every invitation sent to ``email``, with its organization's name."""
    result = await db.execute(
        select(Invitation, Organization.name)
        .outerjoin(Organization, Organization.id == Invitation.organization_id)
        .where(Invitation.email == email.lower())
        .order_by(Invitation.created_at, Invitation.id)
    )
    return [(row[0], row[1]) for row in result.all()]


async def set_invitation_status(
    db: AsyncSession, invitation_id: str, status: str, *, from_status: str | None = None
) -> Invitation | None:
    """``updateInvitation``: one conditional UPDATE, so two accepts cannot both win."""
    stmt = update(Invitation).where(Invitation.id == invitation_id)
    if from_status is not None:
        stmt = stmt.where(Invitation.status == from_status)
    result = await db.execute(
        stmt.values(status=status)
        .returning(Invitation)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return result.scalar_one_or_none()


# ---- teams


async def get_team(
    db: AsyncSession, team_id: str, organization_id: str | None = None
) -> Team | None:
    query = select(Team).where(Team.id == team_id)
    if organization_id is not None:
        query = query.where(Team.organization_id == organization_id)
    result = await db.execute(query)
    return result.scalar_one_or_none()


async def list_teams(db: AsyncSession, organization_id: str) -> Sequence[Team]:
    result = await db.execute(
        select(Team)
        .where(Team.organization_id == organization_id)
        .order_by(Team.created_at, Team.id)
        .execution_options(populate_existing=True)  # member_count is kept by bulk UPDATEs
    )
    return result.scalars().all()


async def teams_of_user(db: AsyncSession, user_id: str) -> Sequence[Team]:
    result = await db.execute(
        select(Team)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.user_id == user_id)
        .order_by(TeamMember.created_at, TeamMember.id)
    )
    return result.scalars().all()


async def delete_team(db: AsyncSession, team: Team) -> None:
    await db.execute(
        delete(TeamMember)
        .where(TeamMember.team_id == team.id)
        .execution_options(synchronize_session="fetch")
    )
    await db.delete(team)
    await db.flush()


async def get_team_member(
    db: AsyncSession, team_id: str, user_id: str, membership_key: str | None = None
) -> TeamMember | None:
    """By membership key, else by (team, user), as ``findTeamMemberByKeyOrPair``."""
    pair = and_(TeamMember.team_id == team_id, TeamMember.user_id == user_id)
    where = or_(TeamMember.membership_key == membership_key, pair) if membership_key else pair
    result = await db.execute(select(TeamMember).where(where).limit(1))
    return result.scalar_one_or_none()


async def insert_team_member(db: AsyncSession, row: TeamMember) -> bool:
    """Insert, or return False when the unique membership key says it exists already."""
    try:
        async with db.begin_nested():
            db.add(row)
    except IntegrityError:
        return False
    return True


async def remove_team_member(db: AsyncSession, team_id: str, user_id: str) -> int:
    result = await db.execute(
        delete(TeamMember)
        .where(TeamMember.team_id == team_id, TeamMember.user_id == user_id)
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def list_team_members(db: AsyncSession, team_id: str) -> Sequence[TeamMember]:
    result = await db.execute(
        select(TeamMember)
        .where(TeamMember.team_id == team_id)
        .order_by(TeamMember.created_at, TeamMember.id)
    )
    return result.scalars().all()


async def sync_member_count(db: AsyncSession, team_id: str) -> None:
    """Keep ``teams.member_count`` (Better Auth's seat counter) equal to the real count."""
    count = (
        select(func.count())
        .select_from(TeamMember)
        .where(TeamMember.team_id == team_id)
        .scalar_subquery()
    )
    await db.execute(
        update(Team)
        .where(Team.id == team_id)
        .values(member_count=count)
        .execution_options(synchronize_session=False)
    )
