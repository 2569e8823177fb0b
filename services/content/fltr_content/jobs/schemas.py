"""The jobs API's shapes (``GET /api/v1/jobs/{id}`` is pinned by issue 7)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from fltr_content.jobs.models import ProcessingJob

JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class Progress(BaseModel):
    done: int
    total: int


class JobError(BaseModel):
    code: str
    message: str | None


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    dataset_id: str
    document_id: str | None
    state: JobState
    stage: str
    progress: Progress
    attempts: int
    error: JobError | None
    credits_held: int
    credits_charged: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, job: ProcessingJob) -> JobOut:
        return cls(
            id=job.id,
            kind=job.kind,
            dataset_id=job.dataset_id,
            document_id=job.document_id,
            state=job.state,
            stage=job.stage,
            progress=Progress(done=job.progress_done, total=job.progress_total),
            attempts=job.attempts,
            error=JobError(code=job.error_code, message=job.error_message)
            if job.error_code
            else None,
            credits_held=job.credits_held,
            credits_charged=job.credits_charged,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )
