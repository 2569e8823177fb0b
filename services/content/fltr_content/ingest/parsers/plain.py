"""Plain text: one section, no title (the caller falls back to the file name)."""

from __future__ import annotations

from fltr_content.ingest.document import ParsedDocument, build_document
from fltr_content.ingest.sniff import decode_text


def parse_text(data: bytes) -> ParsedDocument:
    return build_document("text", [(decode_text(data), None, None)])
