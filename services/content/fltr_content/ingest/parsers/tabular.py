"""CSV and JSON as readable lines. CSV: the first row names the columns and every other row
becomes ``column: value; column: value`` (empty cells left out), so a chunk of rows still
says what each value is. JSON: one ``path: value`` line per scalar (``items[0].name: x``);
an object's top-level keys become sections."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from fltr_content.ingest.document import ParsedDocument, build_document
from fltr_content.ingest.errors import CorruptFile
from fltr_content.ingest.sniff import decode_text

SNIFF_SAMPLE_CHARS = 64 * 1024


def parse_csv(data: bytes) -> ParsedDocument:
    text = decode_text(data).lstrip("\ufeff")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:SNIFF_SAMPLE_CHARS], delimiters=",;\t|"
        )
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [
            row for row in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in row)
        ]
    except csv.Error as exc:
        raise CorruptFile(f"The CSV cannot be read: {exc}.") from exc
    if not rows:
        return build_document("csv", [])
    header = [name.strip() or f"column {i}" for i, name in enumerate(rows[0], start=1)]
    lines = []
    for row in rows[1:]:
        cells = []
        for i, value in enumerate(row):
            value = " ".join(value.split())
            if value:
                name = header[i] if i < len(header) else f"column {i + 1}"
                cells.append(f"{name}: {value}")
        if cells:
            lines.append("; ".join(cells))
    if not lines:  # a header only: its names are the text
        lines = ["; ".join(header)]
    return build_document("csv", [("\n".join(lines), None, None)])


def parse_json(data: bytes) -> ParsedDocument:
    try:
        value = json.loads(decode_text(data))
    except ValueError as exc:
        raise CorruptFile(f"The JSON is not valid: {exc}.") from exc
    except RecursionError as exc:
        raise CorruptFile("The JSON is nested too deeply to read.") from exc
    if isinstance(value, dict) and value:
        parts: list[tuple[str, int | None, str | None]] = [
            ("\n".join(_flatten(item, _key_path("", key))), None, str(key))
            for key, item in value.items()
        ]
        title = value.get("title") if isinstance(value.get("title"), str) else None
        return build_document("json", parts, title=title)
    return build_document("json", [("\n".join(_flatten(value, "")), None, None)])


def _key_path(prefix: str, key: str) -> str:
    part = key if key.isidentifier() else json.dumps(key, ensure_ascii=False)
    if not prefix:
        return part
    return f"{prefix}.{part}" if key.isidentifier() else f"{prefix}[{part}]"


def _flatten(value: Any, path: str) -> list[str]:
    """Iterative, so deeply nested input cannot exhaust the stack."""
    lines: list[str] = []
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        here, item = stack.pop()
        if isinstance(item, dict):
            stack.extend(reversed([(_key_path(here, str(k)), v) for k, v in item.items()]))
        elif isinstance(item, list):
            stack.extend(reversed([(f"{here}[{i}]", v) for i, v in enumerate(item)]))
        else:
            rendered = item if isinstance(item, str) else json.dumps(item)
            lines.append(f"{here}: {rendered}" if here else str(rendered))
    return lines
