"""Type detection from the bytes: magic numbers beat names, executables and other binaries are
refused naming what they are, text is decoded strictly, and the file name only breaks ties
between text types."""

from __future__ import annotations

import codecs

import pytest

from fltr_content.ingest.errors import IngestError
from fltr_content.ingest.sniff import decode_text, sniff
from tests.content import documents

pytestmark = pytest.mark.core


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (documents.pdf_pages(), "report.pdf", "pdf"),
        (documents.pdf_pages(), "misnamed.txt", "pdf"),
        (b"garbage\n" + documents.pdf_pages(), None, "pdf"),
        (documents.docx_report(), "report.docx", "docx"),
        (documents.docx_report(), "report.bin", "docx"),
        (documents.HTML_PAGE, "page.txt", "html"),
        (b"<p>A fragment with <a href='x'>a link</a>.</p>", None, "html"),
        (b"<p>A fragment, named as a page</p>", "page.html", "html"),
        (documents.MARKDOWN_DOC, None, "markdown"),
        (documents.MARKDOWN_DOC, "notes.txt", "text"),
        (b"A plain paragraph with no markup at all.", "README.md", "markdown"),
        (documents.CSV_DOC, None, "csv"),
        (documents.CSV_DOC, "people.csv", "csv"),
        (b"a\tb\n1\t2\n3\t4\n", None, "csv"),
        (documents.CSV_DOC, "people.txt", "text"),
        (documents.JSON_DOC, "data.txt", "json"),
        (b'[{"a": 1}, {"a": 2}]', None, "json"),
        (b"{not json, just braces}", "data.json", "text"),
        (documents.PLAIN_TEXT, None, "text"),
        (documents.PLAIN_TEXT, "note.json", "text"),
        (b"MZ is the name of our project, not a program.", None, "text"),
    ],
)
def test_detects_the_type_from_content(data: bytes, filename: str | None, expected: str) -> None:
    assert sniff(data, filename) == expected


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (documents.ELF_HEADER, "ELF"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48, "PE/MZ"),
        (b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 24, "Mach-O"),
        (documents.zip_archive(), "zip archive"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "image/png"),
        (b"\x00\x01\x02\x03\x04\x05binary" * 10, "binary"),
    ],
)
def test_refuses_executables_and_binaries_naming_them(data: bytes, kind: str) -> None:
    with pytest.raises(IngestError) as caught:
        sniff(data, "innocent.pdf")
    assert caught.value.code == "unsupported_type"
    assert kind in caught.value.detail


def test_a_spreadsheet_zip_is_named() -> None:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(IngestError, match=r"xlsx") as caught:
        sniff(out.getvalue(), "book.docx")
    assert caught.value.code == "unsupported_type"


def test_a_broken_zip_is_corrupt() -> None:
    with pytest.raises(IngestError) as caught:
        sniff(b"PK\x03\x04" + b"\x00" * 40, "x.docx")
    assert caught.value.code == "corrupt_file"


@pytest.mark.parametrize("data", [b"", b"   \n\t  "])
def test_empty_files(data: bytes) -> None:
    with pytest.raises(IngestError) as caught:
        sniff(data, "empty.txt")
    assert caught.value.code == "empty_file"


def test_invalid_utf8_is_refused_not_guessed() -> None:
    with pytest.raises(IngestError) as caught:
        sniff(documents.INVALID_UTF8, "menu.txt")
    assert caught.value.code == "invalid_encoding"
    assert caught.value.status_code == 422


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF8 + "Crème brûlée".encode(),
        "Crème brûlée".encode("utf-16"),  # with BOM
        codecs.BOM_UTF16_BE + "Crème brûlée".encode("utf-16-be"),
        "Crème brûlée".encode(),
    ],
)
def test_decodes_utf8_and_utf16_with_bom(data: bytes) -> None:
    assert decode_text(data) == "Crème brûlée"
    assert sniff(data) == "text"


def test_utf16_without_bom_is_refused() -> None:
    with pytest.raises(IngestError) as caught:
        sniff("A sentence in UTF-16 without a byte order mark.".encode("utf-16-le"))
    assert caught.value.code in ("invalid_encoding", "unsupported_type")
