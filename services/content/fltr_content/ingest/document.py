"""What every parser returns: the document's full text plus the sections it is made of, each
knowing where it starts in that text, so chunk offsets are offsets into ``ParsedDocument.text``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from fltr_content.ingest.errors import NoText

ContentType = Literal["pdf", "docx", "html", "markdown", "csv", "text", "json"]
CONTENT_TYPES: tuple[ContentType, ...] = get_args(ContentType)

SECTION_SEPARATOR = "\n\n"

_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")
# C0 controls other than tab/newline carry no text and upset tokenizers and Milvus VARCHAR
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Section:
    text: str
    page: int | None  # 1-based; None for formats without pages
    section: str | None  # the heading the text sits under
    start: int  # offset of ``text`` in ParsedDocument.text

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    content_type: ContentType
    title: str | None
    sections: list[Section]
    page_count: int | None  # pages for PDF, None otherwise
    text: str  # the sections joined by a blank line


def clean_text(text: str) -> str:
    """Normalise line endings and runs of blanks; keep paragraph breaks (chunking splits on
    them first)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROLS.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def build_document(
    content_type: ContentType,
    parts: Iterable[tuple[str, int | None, str | None]],
    *,
    title: str | None = None,
    page_count: int | None = None,
) -> ParsedDocument:
    """Join ``(text, page, section)`` parts into one text, recording where each starts.
    Parts that are blank after cleaning are dropped; no text at all is ``no_text``."""
    sections: list[Section] = []
    pieces: list[str] = []
    offset = 0
    for raw, page, heading in parts:
        text = clean_text(raw)
        if not text:
            continue
        if pieces:
            pieces.append(SECTION_SEPARATOR)
            offset += len(SECTION_SEPARATOR)
        sections.append(Section(text=text, page=page, section=heading, start=offset))
        pieces.append(text)
        offset += len(text)
    if not sections:
        raise NoText()
    clean_title = clean_text(title).replace("\n", " ")[:500] if title else ""
    return ParsedDocument(
        content_type=content_type,
        title=clean_title or None,
        sections=sections,
        page_count=page_count,
        text="".join(pieces),
    )
