"""HTML with BeautifulSoup on lxml: scripts, styles and navigation dropped, ``h1``-``h6``
start sections, block elements end lines. Title from ``<title>``, else the first ``h1``."""

from __future__ import annotations

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PreformattedString, Tag

from fltr_content.ingest.document import ParsedDocument, build_document
from fltr_content.ingest.sniff import decode_text

DROPPED_TAGS = ("script", "style", "nav", "noscript", "template", "svg", "iframe", "head")
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# paragraph-like elements end with a blank line, line-like ones with a newline
BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "details", "div", "dl", "figcaption",
        "figure", "footer", "form", "header", "hr", "main", "ol", "p", "pre", "section",
        "summary", "table", "ul",
    }
)  # fmt: skip
LINES = frozenset({"br", "dd", "dt", "li", "caption"})


class _Sections:
    def __init__(self) -> None:
        self.parts: list[tuple[str, int | None, str | None]] = []
        self.heading: str | None = None
        self.buffer: list[str] = []

    def start(self, heading: str) -> None:
        self.flush()
        self.heading = heading
        self.buffer = [heading, "\n\n"]

    def flush(self) -> None:
        text = "".join(self.buffer)
        if text.strip():
            self.parts.append((text, None, self.heading))
        self.buffer = []

    def line_break(self, count: int) -> None:
        """End the current line with ``count`` newlines in all, not adding to ones there."""
        if not count or not self.buffer:
            return
        tail = "".join(self.buffer[-8:]).rstrip(" \t")
        present = len(tail) - len(tail.rstrip("\n"))
        self.buffer.append("\n" * max(count - present, 0))

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, Tag):
                if child.name in HEADINGS:
                    heading = child.get_text(" ", strip=True)
                    if heading:
                        self.start(heading)
                    continue
                if child.name == "tr":
                    cells = child.find_all(("td", "th"), recursive=False)
                    row = " | ".join(cell.get_text(" ", strip=True) for cell in cells)
                    self.line_break(1)
                    self.buffer.append(row)
                    self.line_break(1)
                    continue
                breaks = 2 if child.name in BLOCKS else 1 if child.name in LINES else 0
                self.line_break(breaks)
                self.walk(child)
                self.line_break(breaks)
            elif isinstance(child, NavigableString) and not isinstance(child, PreformattedString):
                self.buffer.append(str(child))


def parse_html(data: bytes) -> ParsedDocument:
    soup = BeautifulSoup(decode_text(data), "lxml")
    title_tag = soup.find("title")
    title = title_tag.get_text(" ", strip=True) if title_tag else ""
    if not title:
        h1 = soup.find("h1")
        title = h1.get_text(" ", strip=True) if h1 else ""
    for tag in soup.find_all(DROPPED_TAGS):
        tag.decompose()
    sections = _Sections()
    sections.walk(soup.body or soup)
    sections.flush()
    return build_document("html", sections.parts, title=title or None)
