"""``dataset_sources`` (seed 000): where a dataset's documents come from and how often they
are synced (the scheduled sync of ``url`` sources belongs to ingestion)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from fltr_content.db import Base
from fltr_content.ids import mixed_case_id
from fltr_shared.db import UTCDateTime, utcnow

SOURCE_TYPES = ("pdf", "csv", "url", "api", "manual")
SYNC_FREQUENCIES = ("manual", "daily", "weekly", "monthly")


def new_source_id() -> str:
    return mixed_case_id()


class DatasetSource(Base):
    __tablename__ = "dataset_sources"
    __table_args__ = (
        CheckConstraint(
            "source_type IN ('pdf', 'csv', 'url', 'api', 'manual')", name="source_type"
        ),
        CheckConstraint(
            "sync_frequency IN ('manual', 'daily', 'weekly', 'monthly')", name="sync_frequency"
        ),
        CheckConstraint("size_bytes IS NULL OR size_bytes >= 0", name="size_bytes"),
        Index("dataset_sources_dataset_created_idx", "dataset_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_source_id)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    source_type: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    file_path: Mapped[str | None] = mapped_column(Text)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    sync_frequency: Mapped[str] = mapped_column(Text, server_default=text("'manual'"))
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
