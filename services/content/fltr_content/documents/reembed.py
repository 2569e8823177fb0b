"""Re-embedding a dataset after the embedding model changed: the working copy's collection is
rebuilt for the service's current model, and every live document is processed again by a
normal ingest job (same chunk ids, so nothing is duplicated). Published versions keep their
frozen collections and the model they were built with. Not charged: a model change is the
operator's decision, not the curator's.

Never commits.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content.callers.resolver import Caller
from fltr_content.datasets.directory import OwnerDirectory
from fltr_content.documents import repository
from fltr_content.documents.models import Document
from fltr_content.documents.service import editable_dataset
from fltr_content.embeddings.base import Embedder
from fltr_content.jobs.models import ProcessingJob, new_job_id
from fltr_content.vectors.chunks import ChunkStore
from fltr_content.versions import service as versions
from fltr_shared.db import utcnow


async def reembed(
    session: AsyncSession,
    caller: Caller,
    ref: str,
    *,
    embedder: Embedder,
    chunks: ChunkStore,
    directory: OwnerDirectory | None = None,
) -> list[str]:
    dataset = await editable_dataset(session, caller, ref, directory)
    working = await versions.working_copy(session, dataset)
    await chunks.drop(working.collection_name)
    dataset.embedding_model = embedder.name
    dataset.embedding_dimension = embedder.dimension
    now = utcnow()
    live = list(
        await session.scalars(
            select(Document).where(Document.dataset_id == dataset.id, Document.deleted_at.is_(None))
        )
    )
    jobs = []
    for document in live:
        document.status = "queued"
        document.updated_at = now
        jobs.append(
            ProcessingJob(
                id=new_job_id(),
                kind="ingest",
                dataset_id=dataset.id,
                document_id=document.id,
                state="queued",
                stage="queued",
                params={"reembed": True},
                created_by=caller.user_id,
                created_at=now,
                updated_at=now,
            )
        )
    await repository.add_all(session, jobs)
    await repository.refresh_dataset_counts(session, dataset.id, now)
    return [job.id for job in jobs]
