"""Request and response bodies of the reviews endpoints.

Documented limits: ``rating`` 1..5, ``title`` at most 200 characters, ``comment`` at most
5,000.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

MAX_TITLE_LENGTH = 200
MAX_COMMENT_LENGTH = 5_000


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: int = Field(ge=1, le=5)
    title: str | None = Field(None, max_length=MAX_TITLE_LENGTH)
    comment: str | None = Field(None, max_length=MAX_COMMENT_LENGTH)


class ReviewOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    dataset_id: str
    user_id: str
    rating: int
    title: str | None
    comment: str | None
    helpful_count: int
    verified_purchase: bool
    created_at: datetime
    updated_at: datetime
