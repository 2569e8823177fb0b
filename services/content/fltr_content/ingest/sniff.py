"""Decide a document's type from its bytes. Magic numbers first (PDF, zip/DOCX, executables,
other binaries); text is decoded strictly and its content decides between JSON, HTML, CSV,
Markdown and plain text. The file name only breaks ties between text types whose content is
ambiguous (a short note is both valid Markdown and plain text); it never overrides bytes."""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
from pathlib import PurePosixPath

import filetype  # type: ignore[import-untyped]

from fltr_content.ingest.document import ContentType
from fltr_content.ingest.errors import CorruptFile, EmptyFile, InvalidEncoding, UnsupportedType

# PDF readers accept the header anywhere in the first KiB (some generators prepend junk).
PDF_HEADER_WINDOW = 1024
TEXT_SAMPLE_CHARS = 64 * 1024

_EXECUTABLE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x7fELF", "an ELF executable"),
    (b"\xfe\xed\xfa\xce", "a Mach-O executable"),
    (b"\xfe\xed\xfa\xcf", "a Mach-O executable"),
    (b"\xce\xfa\xed\xfe", "a Mach-O executable"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
    (b"\xca\xfe\xba\xbe", "a Mach-O universal binary or Java class file"),
)

# C0 controls that never occur in text (tab, newlines, form feed and ESC of ANSI colours do)
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f]")

_EXTENSION_TYPES: dict[str, ContentType] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdown": "markdown",
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "text",
    ".text": "text",
    ".log": "text",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".json": "json",
}

_HTML_MARKERS = re.compile(r"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.IGNORECASE)
_HTML_TAGS = re.compile(
    r"<(p|div|span|a|h[1-6]|ul|ol|li|table|tr|td|br|img|section|article)[\s/>]", re.IGNORECASE
)
_MARKDOWN_SIGNALS = (
    re.compile(r"^#{1,6} \S", re.MULTILINE),  # ATX heading
    re.compile(r"^(```|~~~)", re.MULTILINE),  # fenced code
    re.compile(r"\[[^\]\n]+\]\([^)\s]+\)"),  # link
    re.compile(r"^\s{0,3}([-*+]|\d+\.) \S", re.MULTILINE),  # list item
    re.compile(r"(\*\*|__)\S[^\n]*?\S\1"),  # strong emphasis
    re.compile(r"^\|.*\|\s*$\n^\|?\s*:?-{3,}", re.MULTILINE),  # table
    re.compile(r"^.+\n(=+|-+)\s*$", re.MULTILINE),  # setext heading
    re.compile(r"^> \S", re.MULTILINE),  # blockquote
)


def decode_text(data: bytes) -> str:
    """Strict decoding: UTF-8 (with or without BOM) or UTF-16 with a BOM; nothing guessed."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8"]
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidEncoding()


def sniff(data: bytes, filename: str | None = None) -> ContentType:
    """The content type of ``data``, or an IngestError saying what was found instead."""
    if not data or data.isspace():
        raise EmptyFile()
    if b"%PDF-" in data[:PDF_HEADER_WINDOW]:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    for magic, kind in _EXECUTABLE_MAGIC:
        if data.startswith(magic):
            raise UnsupportedType(f"Executables are not accepted: the file is {kind}.")
    # "MZ" alone could start a sentence; a real DOS header has binary bytes right after it
    if data.startswith(b"MZ") and _looks_binary(data[:64]):
        raise UnsupportedType(
            "Executables are not accepted: the file is a Windows (PE/MZ) executable."
        )
    try:
        text = decode_text(data)
    except InvalidEncoding:
        text = None
    # Clean text first: short magic numbers ("MZ", "ID3", "BM") also start ordinary sentences.
    if text is not None and not _CONTROL_CHARS.search(text[:TEXT_SAMPLE_CHARS]):
        return sniff_text(text, filename)
    kind = filetype.guess(data)
    if kind is not None:
        raise UnsupportedType(f"Unsupported file: the content is {kind.mime} (.{kind.extension}).")
    if text is None and not _looks_binary(data):
        raise InvalidEncoding()
    raise UnsupportedType("Unsupported file: the content is binary data, not text.")


def sniff_text(text: str, filename: str | None = None) -> ContentType:
    """JSON and HTML are decided by content alone. Between CSV, Markdown and plain text the
    file name's extension decides when the content fits it; otherwise the content's evidence
    does (a consistent table is CSV, Markdown syntax is Markdown, anything else text)."""
    sample = text[:TEXT_SAMPLE_CHARS].lstrip("\ufeff")
    stripped = sample.strip()
    if stripped[:1] in ("{", "[") and _is_json(text):
        return "json"
    head = stripped[:4096]
    if _HTML_MARKERS.search(head):
        return "html"
    named = _EXTENSION_TYPES.get(PurePosixPath(filename or "").suffix.lower())
    csv_rows = _csv_rows(stripped)
    md_score = _markdown_score(stripped)
    if named == "html" and _HTML_TAGS.search(head):
        return "html"
    if named == "csv" and csv_rows >= 1:
        return "csv"
    if named in ("markdown", "text"):
        return named
    if csv_rows >= 2 and md_score == 0:
        return "csv"
    if md_score >= 1:
        return "markdown"
    if _HTML_TAGS.search(head):
        return "html"
    return "text"


def _sniff_zip(data: bytes) -> ContentType:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise CorruptFile("The file starts like a zip archive but cannot be read.") from exc
    if "word/document.xml" in names and "[Content_Types].xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        kind = "an Excel workbook (.xlsx)"
    elif "ppt/presentation.xml" in names:
        kind = "a PowerPoint presentation (.pptx)"
    elif "mimetype" in names and "META-INF/manifest.xml" in names:
        kind = "an OpenDocument or EPUB file"
    else:
        kind = "a zip archive"
    raise UnsupportedType(f"Unsupported file: the content is {kind}.")


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _looks_binary(data: bytes) -> bool:
    sample = data[:4096]
    controls = sum(1 for byte in sample if byte < 9 or 13 < byte < 32)
    return controls > len(sample) // 20


def _csv_rows(sample: str) -> int:
    """Rows after the header that have the header's column count (at least 2 columns), using
    the sniffed dialect; 0 when it does not look like a table."""
    lines = sample.splitlines()[:50]
    if len(lines) < 2:
        return 0
    if len(lines) == 50 or len(sample) >= TEXT_SAMPLE_CHARS:
        lines = lines[:-1]  # the sample may end mid-row
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|")
        rows = list(csv.reader(lines, dialect))
    except csv.Error:
        return 0
    width = len(rows[0])
    if width < 2:
        return 0
    body = [row for row in rows[1:] if row]
    if not body or any(len(row) != width for row in body):
        return 0
    return len(body)


def _markdown_score(sample: str) -> int:
    return sum(1 for signal in _MARKDOWN_SIGNALS if signal.search(sample))
