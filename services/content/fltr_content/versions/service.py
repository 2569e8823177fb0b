"""Which collection a read or a write of a dataset goes to.

- Writes (uploads, deletes) always go to the working copy (``status = 'draft'``).
- Reads name a version (``slug@1.0.0``), or ``draft``/``latest`` for the working copy, or
  nothing: then the dataset's active version, or the working copy while nothing is published.

Never commits.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content.datasets.models import Dataset
from fltr_content.versions import repository
from fltr_content.versions.models import (
    DRAFT_LABEL,
    DatasetVersion,
    collection_name,
    new_version_id,
)
from fltr_shared.errors import NotFound

WORKING_COPY_ALIASES = frozenset({DRAFT_LABEL, "latest"})


def split_ref(ref: str) -> tuple[str, str | None]:
    """``slug@1.0.0`` -> (``slug``, ``1.0.0``); a plain slug or id -> (it, None)."""
    slug, sep, label = ref.partition("@")
    return slug, (label if sep else None)


async def create_working_copy(
    session: AsyncSession, dataset: Dataset, created_by: str | None = None
) -> DatasetVersion:
    version_id = new_version_id()
    version = DatasetVersion(
        id=version_id,
        dataset_id=dataset.id,
        version=DRAFT_LABEL,
        status="draft",
        collection_name=collection_name(dataset.id, version_id),
        created_by=created_by,
    )
    await repository.add(session, version)
    return version


async def working_copy(session: AsyncSession, dataset: Dataset) -> DatasetVersion:
    """The version uploads go to; created on first use for datasets made before versions."""
    version = await repository.working_copy(session, dataset.id)
    if version is None:
        version = await create_working_copy(session, dataset)
    return version


async def for_read(session: AsyncSession, dataset: Dataset, label: str | None) -> DatasetVersion:
    """The version a read of ``dataset`` (optionally pinned to ``label``) answers from."""
    if label is None:
        if dataset.active_version_id is not None:
            active = await repository.by_id(session, dataset.active_version_id)
            if active is not None and active.status == "published":
                return active
        return await working_copy(session, dataset)
    if label in WORKING_COPY_ALIASES:
        return await working_copy(session, dataset)
    version = await repository.by_label(session, dataset.id, label)
    if version is None or version.status != "published":
        raise NotFound(f"The dataset has no published version {label!r}.", code="version_not_found")
    return version
