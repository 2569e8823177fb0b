"""Small documents built in memory for the ingestion tests (and the upload tests): each
function returns the file's bytes; the PAGE_TEXTS / DOCX_* constants say what they contain."""

from __future__ import annotations

import io
import json
import zipfile

from docx import Document
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

PAGE_TEXTS = (
    "Page one talks about the migration of arctic terns across the Atlantic Ocean.",
    "Page two explains how solar panels convert sunlight into electricity.",
    "Page three describes the rules of chess and the movement of the knight.",
)
PDF_TITLE = "Three Topics"
PDF_PASSWORD = "s3cret"

DOCX_TITLE = "Quarterly Report"
DOCX_HEADINGS = ("Summary", "Revenue")
DOCX_TABLE = (("Region", "Revenue"), ("North", "120"), ("South", "95"))

HTML_PAGE = b"""<!DOCTYPE html>
<html><head><title>Gardening Guide</title><style>body { color: red; }</style>
<script>var tracking = "do not index";</script></head>
<body><nav><a href="/">Home</a> | <a href="/about">About menu</a></nav>
<h1>Growing Tomatoes</h1><p>Tomatoes need <b>full sun</b> and regular watering.</p>
<h2>Pests</h2><p>Watch for aphids on the leaves.</p>
<table><tr><th>Pest</th><th>Remedy</th></tr><tr><td>Aphids</td><td>Soap spray</td></tr></table>
</body></html>
"""

MARKDOWN_DOC = b"""# Coffee Brewing

Good coffee starts with *fresh* beans and [clean water](https://example.com/water).

## Pour Over

- Heat water to 94 degrees.
- Pour slowly in circles.

| Method | Time |
| --- | --- |
| Pour over | 3 min |

```
grind = "medium-fine"
```

## Espresso

Espresso needs fine grounds and nine bars of pressure.
"""

CSV_DOC = b"name,city,age\nAlice,Paris,34\nBob,Berlin,\nChen,Tokyo,29\n"

JSON_DOC = json.dumps(
    {
        "title": "Inventory",
        "items": [{"sku": "A-1", "name": "Widget", "price": 2.5}, {"sku": "B-2", "name": "Gadget"}],
        "warehouse": {"city": "Lyon", "open": True},
    }
).encode()

PLAIN_TEXT = b"Just a short note about the weekly team meeting on Thursday afternoon.\n"

ELF_HEADER = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 48

INVALID_UTF8 = b"Caf\xe9 cr\xe8me br\xfbl\xe9e is a dessert served cold with burnt sugar.\n"


def pdf_pages(texts: tuple[str, ...] = PAGE_TEXTS, *, title: str | None = PDF_TITLE) -> bytes:
    """A PDF with one page per text (page n holds texts[n-1])."""
    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.set_font("Helvetica", size=12)
    for text in texts:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def pdf_without_text(pages: int = 2) -> bytes:
    """Pages with only a drawn rectangle: what a scan without OCR looks like to a parser."""
    pdf = FPDF()
    for _ in range(pages):
        pdf.add_page()
        pdf.rect(20, 20, 100, 60, style="F")
    return bytes(pdf.output())


OWNER_PASSWORD = "owner-secret"


def encrypted_pdf(user_password: str = PDF_PASSWORD, owner_password: str = OWNER_PASSWORD) -> bytes:
    """PAGE_TEXTS encrypted with AES-256; an empty ``user_password`` makes a PDF anyone can
    open (only the owner permissions are protected)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_pages())))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_report() -> bytes:
    """Title, then a ``Summary`` heading with a paragraph, then ``Revenue`` with a table."""
    document = Document()
    document.core_properties.title = DOCX_TITLE
    document.add_heading(DOCX_HEADINGS[0], level=1)
    document.add_paragraph("Sales grew steadily this quarter thanks to the new product line.")
    document.add_heading(DOCX_HEADINGS[1], level=2)
    document.add_paragraph("Revenue by region is shown below.")
    table = document.add_table(rows=len(DOCX_TABLE), cols=len(DOCX_TABLE[0]))
    for row, values in zip(table.rows, DOCX_TABLE, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_zip_bomb(expanded_bytes: int = 64 * 1024 * 1024) -> bytes:
    """A valid-looking .docx whose document.xml inflates ~1000:1 to ``expanded_bytes``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            block = b" " * (1024 * 1024)
            for _ in range(expanded_bytes // len(block)):
                member.write(block)
    return out.getvalue()


def zip_archive() -> bytes:
    """A plain zip (not an Office document)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return out.getvalue()


def docx_with_broken_xml() -> bytes:
    """docx_report() with its document.xml cut in half (a valid zip, malformed XML)."""
    source = zipfile.ZipFile(io.BytesIO(docx_report()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == "word/document.xml":
                data = data[: len(data) // 2]
            archive.writestr(entry.filename, data)
    return out.getvalue()
