"""Why a document cannot be ingested. Each error has a stable ``code`` (stored on the job and
shown to the curator) and a human ``detail``; they are AppErrors so that an upload that fails
while still in the request answers 4xx with ``{"error", "detail"}``, never 500."""

from __future__ import annotations

from fltr_shared.errors import AppError


class IngestError(AppError):
    """Base: the document is unusable as sent (422 unless a subclass says otherwise)."""

    status_code = 422
    default_code = "unprocessable_document"
    default_detail = "The document cannot be processed."


class EmptyFile(IngestError):
    default_code = "empty_file"
    default_detail = "The file is empty."


class UnsupportedType(IngestError):
    status_code = 415
    default_code = "unsupported_type"
    default_detail = "This kind of file is not supported."


class InvalidEncoding(IngestError):
    default_code = "invalid_encoding"
    default_detail = "The text is not valid UTF-8 or UTF-16 (with a byte-order mark)."


class CorruptFile(IngestError):
    default_code = "corrupt_file"
    default_detail = "The file is damaged or not what its type claims."


class EncryptedPdf(IngestError):
    default_code = "encrypted_pdf"
    default_detail = "The PDF is password-protected; upload an unencrypted copy."


class ArchiveTooLarge(IngestError):
    status_code = 413
    default_code = "archive_too_large"
    default_detail = "The document expands to more data than is allowed."


class NoText(IngestError):
    default_code = "no_text"
    default_detail = "No text could be extracted from the document."
