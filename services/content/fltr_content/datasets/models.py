"""``datasets``: seed 000's table, with an owner that is a user or a team (a plain id: the
owner lives in the auth database) and a soft delete."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    Index,
    Integer,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from fltr_content.db import Base
from fltr_content.ids import mixed_case_id
from fltr_shared.db import UTCDateTime, utcnow

CATEGORIES = ("medical", "legal", "travel", "finance", "tech", "other")
VISIBILITIES = ("public", "private", "premium")
STATUSES = ("uploading", "processing", "ready", "failed")
PRICING_MODELS = ("free", "one_time", "subscription")
OWNER_TYPES = ("user", "team")


def new_dataset_id() -> str:
    """32 random characters of ``[a-zA-Z0-9]``, the shape of every FLTR row id."""
    return mixed_case_id()


def _one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=column)


class Dataset(Base):
    __tablename__ = "datasets"
    __table_args__ = (
        _one_of("category", CATEGORIES),
        _one_of("visibility", VISIBILITIES),
        _one_of("status", STATUSES),
        _one_of("pricing_model", PRICING_MODELS),
        _one_of("owner_type", OWNER_TYPES),
        CheckConstraint(
            "(price_cents IS NULL OR price_cents >= 0) "
            "AND (price_monthly_cents IS NULL OR price_monthly_cents >= 0) "
            "AND (price_annual_cents IS NULL OR price_annual_cents >= 0)",
            name="prices",
        ),
        CheckConstraint(
            "chunk_size BETWEEN 32 AND 2048 AND chunk_overlap >= 0 AND chunk_overlap < chunk_size",
            name="chunking",
        ),
        # the listing filters and sorts of seed 000 (browse by owner, category, visibility,
        # newest first, featured first)
        Index("datasets_owner_idx", "owner_type", "owner_id"),
        Index("datasets_category_idx", "category", "created_at"),
        Index("datasets_visibility_idx", "visibility", "created_at"),
        Index("datasets_created_at_idx", "created_at", "id"),
        Index("datasets_featured_idx", "is_featured", "created_at"),
        # migration 0006: the rating and popularity sorts, and the owner filter on its own
        Index("datasets_rating_idx", "rating_average", "id"),
        Index("datasets_popularity_idx", "download_count", "id"),
        Index("datasets_owner_created_idx", "owner_id", "created_at"),
        Index("datasets_deleted_at_idx", "deleted_at"),
        # the listing's q (ILIKE '%...%'): trigram GIN indexes on PostgreSQL (pg_trgm), so a
        # match is a bitmap index scan; SQLite ignores the options and gets plain indexes
        Index(
            "datasets_name_trgm_idx",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ),
        Index(
            "datasets_description_trgm_idx",
            "description",
            postgresql_using="gin",
            postgresql_ops={"description": "gin_trgm_ops"},
        ),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_dataset_id)
    owner_id: Mapped[str] = mapped_column(Text)  # a user's or team's id in the auth database
    owner_type: Mapped[str] = mapped_column(Text, server_default=text("'user'"))
    name: Mapped[str] = mapped_column(Text)
    slug: Mapped[str] = mapped_column(Text, unique=True)  # soft-deleted rows keep theirs
    description: Mapped[str] = mapped_column(Text, server_default=text("''"))
    category: Mapped[str] = mapped_column(Text, server_default=text("'other'"))
    visibility: Mapped[str] = mapped_column(Text, server_default=text("'public'"))
    status: Mapped[str] = mapped_column(Text, server_default=text("'uploading'"))
    pricing_model: Mapped[str] = mapped_column(Text, server_default=text("'free'"))
    price_cents: Mapped[int | None] = mapped_column(Integer)
    price_monthly_cents: Mapped[int | None] = mapped_column(Integer)
    price_annual_cents: Mapped[int | None] = mapped_column(Integer)
    embedding_model: Mapped[str | None] = mapped_column(Text)
    embedding_dimension: Mapped[int | None] = mapped_column(Integer)
    document_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    view_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    download_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    rating_average: Mapped[float] = mapped_column(Float, default=0.0, server_default=text("0"))
    rating_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    is_featured: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    is_verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    # the version unpinned callers get; null until something is published (the working copy)
    active_version_id: Mapped[str | None] = mapped_column(Text)
    # token-aware chunking of this dataset's documents
    chunk_size: Mapped[int] = mapped_column(Integer, default=256, server_default=text("256"))
    chunk_overlap: Mapped[int] = mapped_column(Integer, default=32, server_default=text("32"))
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
