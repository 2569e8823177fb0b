"""``api_usage`` (seed 000): one row per billed-API call (REST search, chunk fetch, MCP).

The key and the user live in the auth database, so they are plain ids here. ``dataset_id``
has no foreign key on purpose: rows are written in batches after the responses, and one row
naming a dataset that is gone must not lose the whole batch.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, Integer, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from fltr_content.db import Base
from fltr_shared.db import UTCDateTime, utcnow


def new_usage_id() -> str:
    return uuid.uuid4().hex


class ApiUsage(Base):
    __tablename__ = "api_usage"
    __table_args__ = (
        # the caller's summary per key and day, and a curator's per dataset and day
        Index("api_usage_user_created_idx", "user_id", "created_at"),
        Index("api_usage_dataset_created_idx", "dataset_id", "created_at"),
        Index("api_usage_key_created_idx", "api_key_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_usage_id)
    api_key_id: Mapped[str | None] = mapped_column(Text)
    # the user, or the team for a team's key (the account that pays)
    user_id: Mapped[str] = mapped_column(Text)
    dataset_id: Mapped[str | None] = mapped_column(Text)
    endpoint: Mapped[str] = mapped_column(Text)
    method: Mapped[str] = mapped_column(Text)
    status_code: Mapped[int] = mapped_column(Integer)
    response_time_ms: Mapped[int] = mapped_column(Integer)
    tokens_used: Mapped[int | None] = mapped_column(Integer)
    credits: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    request_id: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
