"""DOCX with python-docx, in document order: a heading (``Heading n`` or ``Title`` style)
starts a section; tables become one line per row, cells joined by `` | ``.

A .docx is a zip, and python-docx inflates its parts without limits, so the archive's central
directory is checked first: entry count, total declared size and each entry's compression
ratio. The declared sizes bind: :mod:`zipfile` stops reading a member at its declared size.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml.etree import XMLSyntaxError  # type: ignore[import-untyped]

from fltr_content.ingest.document import ParsedDocument, build_document
from fltr_content.ingest.errors import ArchiveTooLarge, CorruptFile

MAX_ENTRIES = 2_000
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
# Word XML compresses ~5-20x; bombs are 1000x. Small entries may compress better harmlessly.
MAX_COMPRESSION_RATIO = 100
RATIO_CHECK_MIN_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ZipLimits:
    max_entries: int = MAX_ENTRIES
    max_uncompressed_bytes: int = MAX_UNCOMPRESSED_BYTES
    max_compression_ratio: float = MAX_COMPRESSION_RATIO


def check_zip(data: bytes, limits: ZipLimits | None = None) -> None:
    """Refuse an archive that would expand beyond ``limits`` before anything inflates it."""
    limits = limits or ZipLimits()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise CorruptFile("The DOCX is not a readable zip archive.") from exc
    if len(entries) > limits.max_entries:
        raise ArchiveTooLarge(
            f"The DOCX holds {len(entries)} files; at most {limits.max_entries} are allowed."
        )
    total = sum(entry.file_size for entry in entries)
    if total > limits.max_uncompressed_bytes:
        raise ArchiveTooLarge(
            f"The DOCX expands to {total} bytes; at most {limits.max_uncompressed_bytes} "
            "are allowed."
        )
    for entry in entries:
        if entry.file_size < RATIO_CHECK_MIN_BYTES:
            continue
        ratio = entry.file_size / max(entry.compress_size, 1)
        if ratio > limits.max_compression_ratio:
            raise ArchiveTooLarge(
                f"The DOCX part {entry.filename!r} is compressed {ratio:.0f}:1; this looks "
                "like a zip bomb."
            )


def parse_docx(data: bytes, limits: ZipLimits | None = None) -> ParsedDocument:
    check_zip(data, limits)
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = list(document.iter_inner_content())
        core_title = document.core_properties.title
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise CorruptFile("The DOCX is damaged and cannot be read.") from exc
    except XMLSyntaxError as exc:
        raise CorruptFile("The DOCX contains malformed XML.") from exc

    parts: list[tuple[str, int | None, str | None]] = []
    heading: str | None = None
    lines: list[str] = []  # paragraphs, and tables as one block of rows
    first_heading: str | None = None
    for block in blocks:
        if isinstance(block, Paragraph):
            text = block.text.strip()
            if text and _is_heading(block):
                if lines:
                    parts.append(("\n\n".join(lines), None, heading))
                heading, lines = text, [text]
                first_heading = first_heading or text
                continue
            lines.append(block.text)
        elif isinstance(block, Table):
            lines.append("\n".join(_table_rows(block)))
    if lines:
        parts.append(("\n\n".join(lines), None, heading))
    return build_document("docx", parts, title=core_title or first_heading)


def _is_heading(paragraph: Paragraph) -> bool:
    style = paragraph.style
    name = (style.name or "") if style is not None else ""
    return name == "Title" or name.startswith("Heading")


def _table_rows(table: Table) -> list[str]:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            # a merged cell comes back once per grid column it spans, as the same element
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(cell.text.split()))
        if any(cells):
            rows.append(" | ".join(cells))
    return rows
