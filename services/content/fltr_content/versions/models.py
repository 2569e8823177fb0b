"""``dataset_versions``: the published, frozen states of a dataset, each with its own Milvus
collection (seed 000), beside the one working copy every upload goes into.

A dataset's working copy is the row with ``status = 'draft'`` (exactly one per dataset; its
collection takes every upload and delete). Publishing copies the working collection into a
new collection for the version and freezes it; integrations that pin ``slug@1.0.0`` search
that frozen copy forever. ``datasets.active_version_id`` says which version unpinned callers
get; while it is null (nothing published yet) they get the working copy.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from fltr_content.db import Base
from fltr_content.ids import lowercase_id
from fltr_shared.db import UTCDateTime, utcnow

VERSION_STATUSES = ("draft", "publishing", "published", "failed")
DRAFT_LABEL = "draft"


def new_version_id() -> str:
    # lowercase + digits only: the id is part of a Milvus collection name
    return lowercase_id()


def collection_name(dataset_id: str, version_id: str) -> str:
    """Built from ids only, never from user text; Milvus allows [A-Za-z0-9_] and 255 chars."""
    return f"fltr_{dataset_id}_{version_id}"


class DatasetVersion(Base):
    __tablename__ = "dataset_versions"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'publishing', 'published', 'failed')", name="status"),
        UniqueConstraint("dataset_id", "version"),
        # exactly one working copy per dataset
        Index(
            "dataset_versions_one_draft_idx",
            "dataset_id",
            unique=True,
            postgresql_where=text("status = 'draft'"),
            sqlite_where=text("status = 'draft'"),
        ),
        Index("dataset_versions_dataset_created_idx", "dataset_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_version_id)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(Text)  # "draft" for the working copy, else "1.0.0"...
    status: Mapped[str] = mapped_column(Text, server_default=text("'draft'"))
    changelog: Mapped[str] = mapped_column(Text, server_default=text("''"))
    collection_name: Mapped[str] = mapped_column(Text, unique=True)
    document_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    chunk_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    created_by: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class VersionDocument(Base):
    """Which documents a published version froze (the working copy's are the live documents)."""

    __tablename__ = "version_documents"

    version_id: Mapped[str] = mapped_column(
        ForeignKey("dataset_versions.id", ondelete="CASCADE"), primary_key=True
    )
    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    chunk_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
