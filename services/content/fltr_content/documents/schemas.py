"""The documents API's shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field


class UploadedDocument(BaseModel):
    id: str
    job_id: str | None = Field(description="Null when the file was a duplicate.")
    filename: str
    content_type: str = Field(description="Decided from the bytes: pdf, docx, html, ...")
    size_bytes: int
    status: str
    duplicate: bool = Field(
        description="The same bytes are already a live document of this dataset; nothing new "
        "was stored, processed or charged."
    )


class UploadOut(BaseModel):
    documents: list[UploadedDocument]


class FromUrlIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl = Field(description="An http(s) URL to fetch (public addresses only).")
    filename: str | None = Field(None, max_length=200)


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    id: str
    dataset_id: str
    filename: str
    title: str
    content_type: str
    size_bytes: int
    content_hash: str
    status: str
    chunk_count: int
    page_count: int | None
    token_count: int
    error_code: str | None
    error_message: str | None
    metadata: dict[str, Any] = Field(validation_alias="metadata_")
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class ReembedOut(BaseModel):
    job_ids: list[str] = Field(description="One ingest job per live document.")
    embedding_model: str
