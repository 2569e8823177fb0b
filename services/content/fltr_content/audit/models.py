"""``audit_log`` (seed 004's shape): one row per catalog change, written in the same
transaction as the change. ``dataset_id`` has no foreign key: the log outlives a purged
dataset."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from fltr_content.db import Base
from fltr_content.ids import mixed_case_id
from fltr_shared.db import UTCDateTime, utcnow

ACTOR_TYPES = ("user", "api_key", "team", "system")


def new_audit_id() -> str:
    return mixed_case_id()


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        CheckConstraint("actor_type IN ('user', 'api_key', 'team', 'system')", name="actor_type"),
        Index("audit_log_dataset_created_idx", "dataset_id", "created_at"),
        Index("audit_log_actor_created_idx", "actor_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_audit_id)
    actor_id: Mapped[str | None] = mapped_column(Text)
    actor_type: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)  # dataset.create, version.publish, ...
    resource_type: Mapped[str] = mapped_column(Text)
    resource_id: Mapped[str | None] = mapped_column(Text)
    dataset_id: Mapped[str | None] = mapped_column(Text)
    # {"field": {"before": ..., "after": ...}} for changes; the created values for creations
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(Text)
    user_agent: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
