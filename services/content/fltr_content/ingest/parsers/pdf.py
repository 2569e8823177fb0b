"""PDF with pypdf, one section per page (pages are 1-based). Text extraction only: a scanned
PDF has no text layer and is ``no_text`` (OCR is out of scope)."""

from __future__ import annotations

import io

from pypdf import PageObject, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

from fltr_content.ingest.document import ParsedDocument, build_document
from fltr_content.ingest.errors import CorruptFile, EncryptedPdf, NoText

# pypdf raises more than its own errors on malformed input
_PYPDF_FAILURES = (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError)


def parse_pdf(data: bytes) -> ParsedDocument:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            _decrypt_with_empty_password(reader)
        pages = [(_page_text(page), number, None) for number, page in enumerate(reader.pages, 1)]
        title = reader.metadata.title if reader.metadata else None
    except FileNotDecryptedError as exc:
        raise EncryptedPdf() from exc
    except _PYPDF_FAILURES as exc:
        raise CorruptFile("The PDF is damaged and cannot be read.") from exc
    except RecursionError as exc:
        raise CorruptFile("The PDF's structure is nested too deeply to read.") from exc
    try:
        return build_document("pdf", pages, title=title, page_count=len(pages))
    except NoText:
        raise NoText(
            "The PDF has no extractable text (a scan or images only); upload a PDF with a "
            "text layer."
        ) from None


def _page_text(page: PageObject) -> str:
    """One damaged page (a broken content stream or font) loses that page, not the file."""
    try:
        return page.extract_text() or ""
    except _PYPDF_FAILURES:
        return ""


def _decrypt_with_empty_password(reader: PdfReader) -> None:
    """Owner-password-only PDFs (printing/copy restrictions) open with an empty user
    password; anything else needs the password we do not have."""
    try:
        opened = reader.decrypt("")
    except (DependencyError, NotImplementedError) as exc:
        raise EncryptedPdf("The PDF uses an encryption this server cannot open.") from exc
    if not opened:
        raise EncryptedPdf()
