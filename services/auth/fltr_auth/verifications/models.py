"""``verifications``: Better Auth's verification table with FLTR's naming."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from fltr_auth.db import Base
from fltr_shared.db import UTCDateTime, utcnow


class Verification(Base):
    __tablename__ = "verifications"
    __table_args__ = (Index("verifications_identifier_idx", "identifier"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    identifier: Mapped[str] = mapped_column(Text)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
