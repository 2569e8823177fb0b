"""``tags`` and ``dataset_tags``: seed 000's tags, with a usage count kept by the tags service
(the number of non-deleted datasets carrying each tag)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from fltr_content.db import Base
from fltr_content.ids import mixed_case_id
from fltr_shared.db import UTCDateTime, utcnow


def new_tag_id() -> str:
    return mixed_case_id()


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_tag_id)
    name: Mapped[str] = mapped_column(Text, unique=True)
    slug: Mapped[str] = mapped_column(Text, unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    icon: Mapped[str | None] = mapped_column(Text)
    usage_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )


class DatasetTag(Base):
    __tablename__ = "dataset_tags"

    dataset_id: Mapped[str] = mapped_column(
        Text, ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[str] = mapped_column(
        Text, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True
    )
