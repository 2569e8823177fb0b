"""A dataset version's documents for MCP's ``list_documents`` and ``fetch_document``: the rows
from the database, the text from the chunks (in order, overlaps removed when the offsets allow).

Never commits.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content.documents.models import Document
from fltr_content.search import repository
from fltr_content.search.access import Target
from fltr_content.search.service import NEIGHBOR_FIELDS, missing_collection
from fltr_content.vectors.chunks import ChunkStore
from fltr_content.vectors.filters import int_literal, text_literal
from fltr_shared.errors import NotFound


async def document_text(
    chunks: ChunkStore, target: Target, document_id: str, max_chunks: int
) -> list[dict[str, Any]]:
    """A document's chunks in order (its indexed text), at most ``max_chunks``."""
    expr = (
        f"dataset_id == {text_literal(target.dataset_id)} "
        f"and document_id == {text_literal(document_id)} "
        f"and chunk_index < {int_literal(max_chunks)}"
    )
    try:
        rows = await chunks.query(
            target.collection, expr, limit=max_chunks, output_fields=NEIGHBOR_FIELDS
        )
    except Exception as exc:
        if missing_collection(exc):
            return []
        raise
    return sorted(rows, key=lambda r: int(r["chunk_index"]))


class DocumentBrief(BaseModel):
    id: str
    title: str
    filename: str
    content_type: str
    status: str
    chunk_count: int
    page_count: int | None
    token_count: int


class DocumentList(BaseModel):
    documents: list[DocumentBrief]
    total: int
    limit: int
    offset: int


class DocumentText(BaseModel):
    document: DocumentBrief
    text: str = Field(description="The document's indexed text: its chunks in order.")
    chunks: int
    truncated: bool = Field(description="More chunks exist than were returned.")


def _brief(row: Document) -> DocumentBrief:
    return DocumentBrief(
        id=row.id,
        title=row.title or row.filename,
        filename=row.filename,
        content_type=row.content_type,
        status=row.status,
        chunk_count=row.chunk_count,
        page_count=row.page_count,
        token_count=row.token_count,
    )


async def list_documents(
    session: AsyncSession, target: Target, limit: int, offset: int
) -> DocumentList:
    rows, total = await repository.documents_page(
        session, target.dataset_id, target.frozen_version_id, limit, offset
    )
    return DocumentList(
        documents=[_brief(r) for r in rows], total=total, limit=limit, offset=offset
    )


async def fetch_document(
    session: AsyncSession, chunks: ChunkStore, target: Target, document_id: str, max_chunks: int
) -> DocumentText:
    row = await repository.document(
        session, target.dataset_id, target.frozen_version_id, document_id
    )
    if row is None:
        raise NotFound("No such document in this dataset version.", code="document_not_found")
    pieces = await document_text(chunks, target, document_id, max_chunks + 1)
    shown = pieces[:max_chunks]
    # overlapping chunks: keep each chunk's part past the previous one's end offset
    text_parts: list[str] = []
    end = -1
    for piece in shown:
        start, stop, body = int(piece["start_offset"]), int(piece["end_offset"]), str(piece["text"])
        if end > start and stop > start and len(body) == stop - start:
            body = body[end - start :]
        text_parts.append(body)
        end = max(end, stop)
    return DocumentText(
        document=_brief(row),
        text="".join(text_parts) if _contiguous(shown) else "\n\n".join(text_parts),
        chunks=len(shown),
        truncated=len(pieces) > max_chunks,
    )


def _contiguous(pieces: list[dict[str, Any]]) -> bool:
    """Offsets that tile the text (each chunk's length matches its span) can be re-joined
    exactly; anything else is joined with blank lines."""
    return bool(pieces) and all(
        len(str(p["text"])) == int(p["end_offset"]) - int(p["start_offset"]) for p in pieces
    )
