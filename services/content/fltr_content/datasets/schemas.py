"""Request and response bodies of ``/api/v1/datasets``.

Documented limits: ``name`` 1..200 characters, ``slug`` 1..100 of ``[a-z0-9-]``,
``description`` at most 10,000 characters, ``metadata`` a JSON object, ``tags`` at most 20
names of 1..50 characters (see ``fltr_content.tags.schemas``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fltr_content.tags.schemas import TagNames

MAX_DESCRIPTION_LENGTH = 10_000
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

Category = Literal["medical", "legal", "travel", "finance", "tech", "other"]
Visibility = Literal["public", "private", "premium"]
Status = Literal["uploading", "processing", "ready", "failed"]
PricingModel = Literal["free", "one_time", "subscription"]
SortKey = Literal["newest", "rating", "popularity"]


class DatasetCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        pattern=SLUG_PATTERN,
        description="Default: made from the name, with -2, -3, ... when taken.",
    )
    description: str = Field("", max_length=MAX_DESCRIPTION_LENGTH)
    category: Category = "other"
    visibility: Visibility = "public"
    pricing_model: PricingModel = "free"
    price_cents: int | None = Field(None, ge=0, le=100_000_000)
    price_monthly_cents: int | None = Field(None, ge=0, le=100_000_000)
    price_annual_cents: int | None = Field(None, ge=0, le=100_000_000)
    embedding_model: str | None = Field(None, min_length=1, max_length=200)
    embedding_dimension: int | None = Field(None, ge=1, le=65_536)
    metadata: dict[str, Any] = Field(default_factory=dict)
    tags: TagNames = Field(default_factory=list, description="Tag names; created on first use.")
    chunk_size: int = Field(
        256, ge=32, le=2048, description="Tokens per chunk when documents are processed."
    )
    chunk_overlap: int = Field(
        32, ge=0, le=1024, description="Tokens shared by neighbouring chunks (< chunk_size)."
    )
    team_id: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="Create it for this team (organization); you must be its owner or admin.",
    )

    @model_validator(mode="after")
    def _overlap_below_size(self) -> DatasetCreate:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        return self


class DatasetUpdate(BaseModel):
    """Only the fields sent are changed. ``is_featured`` and ``is_verified``: admins only."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    slug: str | None = Field(None, min_length=1, max_length=100, pattern=SLUG_PATTERN)
    description: str | None = Field(None, max_length=MAX_DESCRIPTION_LENGTH)
    category: Category | None = None
    visibility: Visibility | None = None
    pricing_model: PricingModel | None = None
    price_cents: int | None = Field(None, ge=0, le=100_000_000)
    price_monthly_cents: int | None = Field(None, ge=0, le=100_000_000)
    price_annual_cents: int | None = Field(None, ge=0, le=100_000_000)
    embedding_model: str | None = Field(None, min_length=1, max_length=200)
    embedding_dimension: int | None = Field(None, ge=1, le=65_536)
    metadata: dict[str, Any] | None = None
    tags: TagNames | None = Field(None, description="Replaces the dataset's tags.")
    chunk_size: int | None = Field(
        None, ge=32, le=2048, description="Applies to documents processed from now on."
    )
    chunk_overlap: int | None = Field(None, ge=0, le=1024)
    is_featured: bool | None = None
    is_verified: bool | None = None


class OwnerOut(BaseModel):
    """The owner's public profile, from the auth service (null fields if it is unknown)."""

    id: str
    type: Literal["user", "team"]
    name: str | None = None
    username: str | None = None
    image: str | None = None


class DatasetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    slug: str
    name: str
    description: str
    category: Category
    visibility: Visibility
    status: Status
    pricing_model: PricingModel
    price_cents: int | None
    price_monthly_cents: int | None
    price_annual_cents: int | None
    embedding_model: str | None
    embedding_dimension: int | None
    document_count: int
    view_count: int
    download_count: int
    rating_average: float
    rating_count: int
    is_featured: bool
    is_verified: bool
    metadata: dict[str, Any] = Field(validation_alias="metadata_")
    owner_id: str
    owner_type: Literal["user", "team"]
    created_at: datetime
    updated_at: datetime
    tags: list[str] = Field(default_factory=list, description="Tag names, sorted.")
    owner: OwnerOut | None = None
    active_version_id: str | None = None
    chunk_size: int = 256
    chunk_overlap: int = 32


class DatasetList(BaseModel):
    """A page of the listing. Cursor mode (default): ``next_cursor`` is null on the last
    page and ``total`` is null. Offset mode (``offset`` given): ``total`` counts every match."""

    items: list[DatasetOut]
    next_cursor: str | None
    total: int | None
    limit: int
    offset: int | None


@dataclass(frozen=True)
class ListingFilters:
    """The listing's filters; ``None`` means any."""

    category: str | None = None
    visibility: str | None = None
    owner_id: str | None = None
    featured: bool | None = None
    verified: bool | None = None
    q: str | None = None
    tag: str | None = None  # a tag's slug
