"""Markdown with markdown-it-py tokens, rendered to plain text: headings start sections,
code and table cells are kept (cells joined by `` | ``), markup and link targets dropped.
Title: the first ``#`` heading."""

from __future__ import annotations

from bs4 import BeautifulSoup
from markdown_it import MarkdownIt
from markdown_it.token import Token

from fltr_content.ingest.document import ParsedDocument, build_document
from fltr_content.ingest.sniff import decode_text

_PARSER = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def parse_markdown(data: bytes) -> ParsedDocument:
    tokens = _PARSER.parse(decode_text(data))
    parts: list[tuple[str, int | None, str | None]] = []
    heading: str | None = None
    title: str | None = None
    blocks: list[str] = []
    row: list[str] | None = None
    table: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "heading_open":
            inline = tokens[index + 1] if index + 1 < len(tokens) else None
            text = _inline_text(inline).strip() if inline is not None else ""
            if blocks:
                parts.append(("\n\n".join(blocks), None, heading))
            heading, blocks = text or None, [text] if text else []
            if title is None and token.tag == "h1" and text:
                title = text
            index += 3  # heading_open, inline, heading_close
            continue
        if token.type == "table_open":
            table = []
        elif token.type == "table_close":
            blocks.append("\n".join(table))
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            table.append(" | ".join(row))
            row = None
        elif token.type == "inline":
            text = _inline_text(token)
            if row is not None:
                row.append(" ".join(text.split()))
            else:
                blocks.append(text)
        elif token.type in ("fence", "code_block"):
            blocks.append(token.content)
        elif token.type == "html_block":
            blocks.append(BeautifulSoup(token.content, "lxml").get_text("\n"))
        index += 1
    if blocks:
        parts.append(("\n\n".join(blocks), None, heading))
    return build_document("markdown", parts, title=title)


def _inline_text(token: Token) -> str:
    pieces: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            pieces.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            pieces.append("\n")
        elif child.type == "image":
            pieces.append(_inline_text(child))
    return "".join(pieces)
