"""``api_keys``: seed 000's table, plus the owner team, dataset allowlist and spend cap."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from fltr_auth.db import Base
from fltr_shared.db import UTCDateTime, utcnow

SCOPES = ("read", "write", "admin")
SPEND_CAP_PERIODS = ("day", "week", "month")


class ApiKey(Base):
    __tablename__ = "api_keys"
    __table_args__ = (
        # owned by exactly one user or one team (organization)
        CheckConstraint("(user_id IS NULL) <> (organization_id IS NULL)", name="one_owner"),
        CheckConstraint("rate_limit_per_minute IS NULL OR rate_limit_per_minute > 0", name="rate"),
        CheckConstraint("spend_cap IS NULL OR spend_cap > 0", name="spend_cap"),
        CheckConstraint(
            "spend_cap_period IS NULL OR spend_cap_period IN ('day', 'week', 'month')",
            name="spend_cap_period",
        ),
        Index("api_keys_user_id_idx", "user_id"),
        Index("api_keys_organization_id_idx", "organization_id"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    prefix: Mapped[str] = mapped_column(Text)  # shown to people: "fltr_Ab12Cd34"
    key_hash: Mapped[str] = mapped_column(Text, unique=True)  # HMAC-SHA256 of the key, hex
    user_id: Mapped[str | None] = mapped_column(Text, ForeignKey("users.id", ondelete="CASCADE"))
    organization_id: Mapped[str | None] = mapped_column(
        Text, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    created_by: Mapped[str | None] = mapped_column(Text)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    datasets: Mapped[list[str] | None] = mapped_column(JSON)  # allowlist; NULL = any
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer)
    spend_cap: Mapped[int | None] = mapped_column(Integer)  # credits per period
    spend_cap_period: Mapped[str | None] = mapped_column(Text)
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
