"""Every model of the fltr database, imported so Alembic sees the whole metadata."""

from __future__ import annotations

from fltr_content.audit.models import AuditEntry
from fltr_content.datasets.models import Dataset
from fltr_content.db import Base
from fltr_content.documents.models import Document
from fltr_content.jobs.models import ProcessingJob
from fltr_content.reviews.models import Review, ReviewVote
from fltr_content.sources.models import DatasetSource
from fltr_content.tags.models import DatasetTag, Tag
from fltr_content.usage.models import ApiUsage
from fltr_content.versions.models import DatasetVersion, VersionDocument

metadata = Base.metadata

__all__ = [
    "ApiUsage",
    "AuditEntry",
    "Dataset",
    "DatasetSource",
    "DatasetTag",
    "DatasetVersion",
    "Document",
    "ProcessingJob",
    "Review",
    "ReviewVote",
    "Tag",
    "VersionDocument",
    "metadata",
]
