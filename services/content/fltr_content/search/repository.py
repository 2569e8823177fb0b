"""The documents reads search and MCP need (their own small queries: a version's documents,
or the working copy's live ones)."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content.documents.models import Document
from fltr_content.versions.models import VersionDocument


def _of_version(dataset_id: str, frozen_version_id: str | None) -> Select[Document]:
    """The working copy's live documents (``None``), or those a published version froze."""
    query = select(Document).where(Document.dataset_id == dataset_id)
    if frozen_version_id is None:
        return query.where(Document.deleted_at.is_(None))
    frozen = select(VersionDocument.document_id).where(
        VersionDocument.version_id == frozen_version_id
    )
    return query.where(Document.id.in_(frozen))


async def documents_page(
    session: AsyncSession, dataset_id: str, frozen_version_id: str | None, limit: int, offset: int
) -> tuple[list[Document], int]:
    query = _of_version(dataset_id, frozen_version_id)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(Document.created_at.desc(), Document.id).limit(limit).offset(offset)
    )
    return list(rows), int(total or 0)


async def document(
    session: AsyncSession, dataset_id: str, frozen_version_id: str | None, document_id: str
) -> Document | None:
    query = _of_version(dataset_id, frozen_version_id).where(Document.id == document_id)
    found: Document | None = await session.scalar(query)
    return found
