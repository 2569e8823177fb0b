"""bytes -> ParsedDocument, one module per format. ``parse_document`` is the entry point;
the type comes from :func:`fltr_content.ingest.sniff.sniff`, never from the client."""

from __future__ import annotations

from collections.abc import Callable

from fltr_content.ingest.document import ContentType, ParsedDocument
from fltr_content.ingest.errors import EmptyFile, UnsupportedType
from fltr_content.ingest.parsers.markdown_text import parse_markdown
from fltr_content.ingest.parsers.pdf import parse_pdf
from fltr_content.ingest.parsers.plain import parse_text
from fltr_content.ingest.parsers.tabular import parse_csv, parse_json
from fltr_content.ingest.parsers.webpage import parse_html
from fltr_content.ingest.parsers.word import parse_docx

_PARSERS: dict[ContentType, Callable[[bytes], ParsedDocument]] = {
    "pdf": parse_pdf,
    "docx": parse_docx,
    "html": parse_html,
    "markdown": parse_markdown,
    "csv": parse_csv,
    "json": parse_json,
    "text": parse_text,
}

__all__ = [
    "parse_csv",
    "parse_document",
    "parse_docx",
    "parse_html",
    "parse_json",
    "parse_markdown",
    "parse_pdf",
    "parse_text",
]


def parse_document(data: bytes, content_type: ContentType) -> ParsedDocument:
    """Parse ``data`` as ``content_type``; raises an IngestError subclass on bad input."""
    if not data:
        raise EmptyFile()
    parser = _PARSERS.get(content_type)
    if parser is None:
        raise UnsupportedType(f"No parser for content type {content_type!r}.")
    return parser(data)
