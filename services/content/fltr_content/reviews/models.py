"""``reviews`` and ``review_votes``: seed 000's reviews (one per user per dataset, rating
1..5) and the helpful votes on them (one per user per review)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from fltr_content.db import Base
from fltr_content.ids import mixed_case_id
from fltr_shared.db import UTCDateTime, utcnow


def new_review_id() -> str:
    return mixed_case_id()


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint("rating >= 1 AND rating <= 5", name="rating"),
        UniqueConstraint("dataset_id", "user_id"),
        # a dataset's reviews, newest first
        Index("reviews_dataset_created_idx", "dataset_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_review_id)
    dataset_id: Mapped[str] = mapped_column(Text, ForeignKey("datasets.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(Text)  # a user's id in the auth database
    rating: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)
    helpful_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # set on every write from the entitlement check: the reviewer paid (subscription, purchase)
    verified_purchase: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )


class ReviewVote(Base):
    __tablename__ = "review_votes"

    review_id: Mapped[str] = mapped_column(
        Text, ForeignKey("reviews.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(Text, primary_key=True)
