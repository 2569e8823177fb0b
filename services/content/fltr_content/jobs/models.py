"""``processing_jobs`` (seed 001): one unit of background work and its progress.

The row is the truth for every runner (in-process pool or Celery): a runner claims a job by
moving it to ``running`` with a lease; a job whose lease ran out (its worker died) is claimed
again and, since every write it makes is an upsert keyed by ids, finishes with the same
effect as one clean run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from fltr_content.db import Base
from fltr_content.ids import lowercase_id
from fltr_shared.db import UTCDateTime, utcnow

JOB_STATES = ("queued", "running", "succeeded", "failed", "cancelled")
JOB_STAGES = ("queued", "parse", "chunk", "embed", "index", "copy", "delete", "done")
JOB_KINDS = ("ingest", "publish", "purge_dataset", "reembed")
FINISHED_STATES = frozenset({"succeeded", "failed", "cancelled"})


def new_job_id() -> str:
    return lowercase_id()


class ProcessingJob(Base):
    __tablename__ = "processing_jobs"
    __table_args__ = (
        CheckConstraint(
            "state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')", name="state"
        ),
        CheckConstraint("kind IN ('ingest', 'publish', 'purge_dataset', 'reembed')", name="kind"),
        CheckConstraint("progress_done >= 0 AND progress_total >= 0", name="progress"),
        Index("processing_jobs_dataset_created_idx", "dataset_id", "created_at", "id"),
        # what runners poll: runnable jobs, oldest first
        Index("processing_jobs_state_idx", "state", "lease_expires_at"),
        Index("processing_jobs_document_idx", "document_id"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True, default=new_job_id)
    kind: Mapped[str] = mapped_column(Text, server_default=text("'ingest'"))
    # no FK: a purge job outlives its dataset's row
    dataset_id: Mapped[str] = mapped_column(Text)
    document_id: Mapped[str | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    version_id: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text, server_default=text("'queued'"))
    stage: Mapped[str] = mapped_column(Text, server_default=text("'queued'"))
    progress_done: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    progress_total: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    max_attempts: Mapped[int] = mapped_column(Integer, default=3, server_default=text("3"))
    error_code: Mapped[str | None] = mapped_column(Text)
    error_message: Mapped[str | None] = mapped_column(Text)
    cancel_requested: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    # who pays: the ledger's principal, and the hold taken at upload
    payer_user_id: Mapped[str | None] = mapped_column(Text)
    payer_api_key_id: Mapped[str | None] = mapped_column(Text)
    credit_hold_id: Mapped[str | None] = mapped_column(Text)
    credits_held: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    credits_charged: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(Text)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
