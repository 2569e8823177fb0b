"""``documents`` (seed 001): one uploaded file of a dataset, its original kept in storage.

A document lives in the dataset's working copy until it is deleted; published versions that
froze it keep a ``version_documents`` row, so a deleted document is soft-deleted while a
version still cites it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Integer, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from fltr_content.db import Base
from fltr_content.ids import lowercase_id
from fltr_shared.db import UTCDateTime, utcnow

DOCUMENT_STATUSES = ("queued", "processing", "ready", "failed", "cancelled")
DOCUMENT_TYPES = ("pdf", "docx", "html", "markdown", "csv", "text", "json")


def new_document_id() -> str:
    # lowercase + digits: document ids appear in Milvus filters and chunk ids
    return lowercase_id()


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'processing', 'ready', 'failed', 'cancelled')", name="status"
        ),
        CheckConstraint(
            "content_type IN ('pdf', 'docx', 'html', 'markdown', 'csv', 'text', 'json')",
            name="content_type",
        ),
        CheckConstraint("size_bytes >= 0", name="size_bytes"),
        # the same bytes twice in one dataset are one document (re-uploads are recognized)
        Index(
            "documents_dataset_hash_idx",
            "dataset_id",
            "content_hash",
            unique=True,
            postgresql_where=text("deleted_at IS NULL"),
            sqlite_where=text("deleted_at IS NULL"),
        ),
        Index("documents_dataset_created_idx", "dataset_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_document_id)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    source_id: Mapped[str | None] = mapped_column(Text)
    filename: Mapped[str] = mapped_column(Text)  # sanitized; never used as a path
    title: Mapped[str] = mapped_column(Text, server_default=text("''"))
    content_type: Mapped[str] = mapped_column(Text)  # detected from the bytes
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    content_hash: Mapped[str] = mapped_column(Text)  # sha256 hex of the original
    storage_key: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default=text("'queued'"))
    chunk_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    page_count: Mapped[int | None] = mapped_column(Integer)
    token_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    error_code: Mapped[str | None] = mapped_column(Text)
    error_message: Mapped[str | None] = mapped_column(Text)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    uploaded_by: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
