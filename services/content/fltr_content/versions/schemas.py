"""Request and response bodies of ``/api/v1/datasets/{slug_or_id}/versions``.

A version label is semantic versioning, ``MAJOR.MINOR.PATCH`` (each at most 6 digits, no
leading zeros), unique per dataset; ``draft`` names the working copy.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SEMVER_PATTERN = r"^(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})$"
MAX_CHANGELOG_LENGTH = 10_000


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str = Field(pattern=SEMVER_PATTERN, max_length=20, examples=["1.0.0"])
    changelog: str = Field("", max_length=MAX_CHANGELOG_LENGTH)


class ActiveVersionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str | None = Field(
        None,
        max_length=20,
        description='A published version, or null / "draft" for the working copy.',
    )


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    dataset_id: str
    version: str
    status: Literal["draft", "publishing", "published", "failed"]
    changelog: str
    document_count: int
    chunk_count: int
    created_by: str | None
    created_at: datetime
    published_at: datetime | None
    is_active: bool = False
    job_id: str | None = Field(None, description="The publish job, when it runs in background.")
