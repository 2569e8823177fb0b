"""Request and response bodies of ``/api/v1/datasets/{slug_or_id}/sources``.

Documented limits: ``name`` 1..200 characters; ``url`` at most 2,048 characters, ``http`` or
``https`` with a host (required for ``url`` sources); ``file_path`` at most 1,024 characters,
relative, without ``..``; ``size_bytes`` >= 0.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

SourceType = Literal["pdf", "csv", "url", "api", "manual"]
SyncFrequency = Literal["manual", "daily", "weekly", "monthly"]
MAX_URL_LENGTH = 2048
MAX_PATH_LENGTH = 1024


def check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http or https URL with a host")
    return value


def check_path(value: str) -> str:
    if value.startswith(("/", "\\")) or ".." in value.replace("\\", "/").split("/"):
        raise ValueError("must be a relative path without '..'")
    return value


SourceUrl = Annotated[
    str, Field(min_length=1, max_length=MAX_URL_LENGTH), AfterValidator(check_url)
]
FilePath = Annotated[
    str, Field(min_length=1, max_length=MAX_PATH_LENGTH), AfterValidator(check_path)
]


class SourceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: SourceType
    name: str = Field(min_length=1, max_length=200)
    url: SourceUrl | None = None
    file_path: FilePath | None = None
    size_bytes: int | None = Field(None, ge=0, le=2**62)
    sync_frequency: SyncFrequency = "manual"
    is_active: bool = True
    metadata: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _url_source_has_url(self) -> SourceCreate:
        if self.type == "url" and self.url is None:
            raise ValueError("a url source needs a url")
        return self


class SourceUpdate(BaseModel):
    """Only the fields sent are changed; the type is fixed."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    url: SourceUrl | None = None
    file_path: FilePath | None = None
    size_bytes: int | None = Field(None, ge=0, le=2**62)
    sync_frequency: SyncFrequency | None = None
    is_active: bool | None = None
    last_synced_at: datetime | None = None
    metadata: dict[str, Any] | None = None


class SourceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    dataset_id: str
    type: SourceType = Field(validation_alias="source_type")
    name: str
    url: str | None
    file_path: str | None
    size_bytes: int | None
    sync_frequency: SyncFrequency
    last_synced_at: datetime | None
    is_active: bool
    metadata: dict[str, Any] = Field(validation_alias="metadata_")
    created_at: datetime
    updated_at: datetime
