"""The organization plugin's tables with FLTR's naming (see tests/compat for the mapping).

An FLTR team is a Better Auth organization; its members have roles owner, admin or member.
Better Auth's "teams" (sub-groups of an organization) are kept too, so its client reads them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from fltr_auth.db import Base
from fltr_shared.db import UTCDateTime, utcnow

MEMBER_ROLES = ("owner", "admin", "member")


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    slug: Mapped[str] = mapped_column(Text, unique=True)
    logo: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
    metadata_: Mapped[str | None] = mapped_column("metadata", Text)


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("organization_id", "user_id", name="uq_members_organization_user"),
        Index("members_organization_id_idx", "organization_id"),
        Index("members_user_id_idx", "user_id"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        Text, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    user_id: Mapped[str] = mapped_column(Text, ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )


class Invitation(Base):
    __tablename__ = "invitations"
    __table_args__ = (
        Index("invitations_organization_id_idx", "organization_id"),
        Index("invitations_email_idx", "email"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        Text, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    email: Mapped[str] = mapped_column(Text)
    role: Mapped[str | None] = mapped_column(Text)
    team_id: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)  # pending, accepted, rejected, canceled
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
    inviter_id: Mapped[str] = mapped_column(Text, ForeignKey("users.id", ondelete="CASCADE"))


class Team(Base):
    __tablename__ = "teams"
    __table_args__ = (Index("teams_organization_id_idx", "organization_id"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    member_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    organization_id: Mapped[str] = mapped_column(
        Text, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TeamMember(Base):
    __tablename__ = "team_members"
    __table_args__ = (
        Index("team_members_team_id_idx", "team_id"),
        Index("team_members_user_id_idx", "user_id"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    team_id: Mapped[str] = mapped_column(Text, ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(Text, ForeignKey("users.id", ondelete="CASCADE"))
    membership_key: Mapped[str | None] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
