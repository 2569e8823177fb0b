"""Documents of a dataset: upload (multipart, streamed), upload from a URL, list, read, delete.

Limits (settings): MAX_UPLOAD_FILE_BYTES a file (default 50 MB) and MAX_UPLOAD_FILES a request
(default 500), enforced while the body streams: 413 as soon as one is passed. The file type is
decided from the bytes (415 for executables and other binaries, 422 for empty or undecodable
files), and one bad file refuses the whole upload, naming it, with nothing kept or charged.
"""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path as FsPath
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from fltr_content.callers.deps import CallerDep, OptionalCallerDep
from fltr_content.callers.resolver import Caller
from fltr_content.datasets.directory import DirectoryDep, directory_of
from fltr_content.documents import reembed, service
from fltr_content.documents.remote import fetch_to_file
from fltr_content.documents.schemas import DocumentOut, FromUrlIn, ReembedOut, UploadOut
from fltr_content.documents.upload_stream import ReceivedFile, UploadReader
from fltr_content.settings import ContentSettings
from fltr_shared.db import Database, SessionDep
from fltr_shared.errors import PayloadTooLarge
from fltr_shared.pagination import Page, PageParamsDep

router = APIRouter(
    prefix="/api/v1/datasets",
    tags=["documents"],
    responses={
        401: {"description": "No valid credential"},
        403: {"description": "Not the dataset's editor, or not at this scope"},
        404: {"description": "No such dataset or document, or one the caller may not see"},
    },
)

Ref = Annotated[
    str, Path(min_length=1, max_length=140, description="Slug or id, optionally @version.")
]
DocumentId = Annotated[str, Path(min_length=1, max_length=64)]
MULTIPART_OVERHEAD = 64 * 1024  # headers and boundaries per file, generously
# what ingestion refuses before any job exists (fltr_content.ingest.errors)
_REFUSED_FILES: dict[int | str, dict[str, Any]] = {
    413: {"description": "upload_too_large / file_too_large: over the documented limits"},
    415: {
        "description": "unsupported_type: the content (sniffed from the bytes) is not one "
        "FLTR can index"
    },
}


def _start_jobs(request: Request, job_ids: list[str]) -> None:
    runner = request.app.state.jobs
    for job_id in job_ids:
        runner.submit(job_id)


@router.post(
    "/{ref}/documents",
    status_code=202,
    response_model=UploadOut,
    summary="Upload documents (multipart, field 'files', repeatable)",
    responses=_REFUSED_FILES,
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "files": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                            }
                        },
                        "required": ["files"],
                    }
                }
            },
            "required": True,
        }
    },
)
async def upload(ref: Ref, request: Request, caller: CallerDep) -> UploadOut:
    settings: ContentSettings = request.app.state.settings
    declared = request.headers.get("content-length")
    ceiling = settings.max_upload_files * (settings.max_upload_file_bytes + MULTIPART_OVERHEAD)
    if declared is not None and declared.isdigit() and int(declared) > ceiling:
        raise PayloadTooLarge(
            "The upload is larger than the limits allow.", code="upload_too_large"
        )

    async def receive(workdir: FsPath) -> list[ReceivedFile]:
        reader = UploadReader(
            workdir,
            max_file_bytes=settings.max_upload_file_bytes,
            max_files=settings.max_upload_files,
        )
        return await reader.read(request.headers.get("content-type", ""), request.stream())

    return await _accept(request, caller, ref, receive)


@router.post(
    "/{ref}/documents:from-url",
    status_code=202,
    response_model=UploadOut,
    summary="Fetch a document from an http(s) URL and process it",
    responses=_REFUSED_FILES,
)
async def upload_from_url(
    ref: Ref, body: FromUrlIn, request: Request, caller: CallerDep
) -> UploadOut:
    settings: ContentSettings = request.app.state.settings

    async def receive(workdir: FsPath) -> list[ReceivedFile]:
        fetched = await fetch_to_file(
            str(body.url),
            workdir,
            max_bytes=settings.max_upload_file_bytes,
            allow_private=settings.allow_private_urls,
            filename=body.filename,
        )
        return [fetched]

    return await _accept(request, caller, ref, receive, source_url=str(body.url))


async def _accept(
    request: Request,
    caller: Caller,
    ref: str,
    receive: Callable[[FsPath], Awaitable[list[ReceivedFile]]],
    source_url: str | None = None,
) -> UploadOut:
    """Check the caller may edit before taking any bytes, receive the files into a scratch
    folder beside the storage root, keep them in one transaction, start their jobs after it."""
    settings: ContentSettings = request.app.state.settings
    database: Database = request.app.state.db
    directory = directory_of(request)
    async with database.transaction() as session:
        await service.editable_dataset(session, caller, ref, directory)
    assert settings.storage_dir is not None
    settings.storage_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.storage_dir, prefix=".incoming-") as workdir:
        received = await receive(FsPath(workdir))
        async with database.transaction() as session:
            dataset = await service.editable_dataset(session, caller, ref, directory)
            documents = await service.upload(
                session,
                caller,
                dataset,
                received,
                settings=settings,
                storage=request.app.state.storage,
                charges=request.app.state.charges,
                source_url=source_url,
                limits=request.app.state.plan_limits,
            )
    _start_jobs(request, [d.job_id for d in documents if d.job_id is not None])
    return UploadOut(documents=documents)


@router.post(
    "/{ref}/reembed",
    status_code=202,
    response_model=ReembedOut,
    summary="Re-embed every document with the service's current embedding model",
)
async def reembed_dataset(ref: Ref, request: Request, caller: CallerDep) -> ReembedOut:
    database: Database = request.app.state.db
    async with database.transaction() as session:
        job_ids = await reembed.reembed(
            session,
            caller,
            ref,
            embedder=request.app.state.embedder,
            chunks=request.app.state.chunks,
            directory=directory_of(request),
        )
    _start_jobs(request, job_ids)
    return ReembedOut(job_ids=job_ids, embedding_model=request.app.state.embedder.name)


@router.get("/{ref}/documents", response_model=Page[DocumentOut], summary="List documents")
async def list_documents(
    ref: Ref,
    db: SessionDep,
    caller: OptionalCallerDep,
    page: PageParamsDep,
    directory: DirectoryDep,
    status: Annotated[
        str | None, Query(pattern="^(queued|processing|ready|failed|cancelled)$")
    ] = None,
) -> Page[DocumentOut]:
    items, total = await service.list_documents(
        db, caller, ref, limit=page.limit, offset=page.offset, status=status, directory=directory
    )
    return Page.build(items, total, page)


@router.get("/{ref}/documents/{document_id}", response_model=DocumentOut, summary="A document")
async def get_document(
    ref: Ref,
    document_id: DocumentId,
    db: SessionDep,
    caller: OptionalCallerDep,
    directory: DirectoryDep,
) -> DocumentOut:
    return await service.get_document(db, caller, ref, document_id, directory)


@router.delete(
    "/{ref}/documents/{document_id}", status_code=204, summary="Delete a document and its chunks"
)
async def delete_document(
    ref: Ref,
    document_id: DocumentId,
    request: Request,
    db: SessionDep,
    caller: CallerDep,
    directory: DirectoryDep,
) -> Response:
    await service.delete_document(
        db,
        caller,
        ref,
        document_id,
        chunks=request.app.state.chunks,
        storage=request.app.state.storage,
        directory=directory,
    )
    return Response(status_code=204)
