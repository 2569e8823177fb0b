"""Parsers: bytes -> full text plus sections that know their page, heading and offset; bad
input is an IngestError with a stable code, never an unexpected exception."""

from __future__ import annotations

import pytest

from fltr_content.ingest.document import ParsedDocument
from fltr_content.ingest.errors import IngestError
from fltr_content.ingest.parsers import parse_document
from fltr_content.ingest.parsers.word import ZipLimits, check_zip, parse_docx
from tests.content import documents

pytestmark = pytest.mark.core


def assert_offsets(document: ParsedDocument) -> None:
    for section in document.sections:
        assert document.text[section.start : section.end] == section.text
    starts = [section.start for section in document.sections]
    assert starts == sorted(starts)


def test_pdf_keeps_pages_and_title() -> None:
    document = parse_document(documents.pdf_pages(), "pdf")
    assert document.content_type == "pdf"
    assert document.title == documents.PDF_TITLE
    assert document.page_count == 3
    assert [section.page for section in document.sections] == [1, 2, 3]
    for section, expected in zip(document.sections, documents.PAGE_TEXTS, strict=True):
        assert " ".join(section.text.split()) == expected
    assert_offsets(document)


def test_pdf_blank_pages_are_skipped_but_counted() -> None:
    document = parse_document(documents.pdf_pages(("First.", "", "Third.")), "pdf")
    assert document.page_count == 3
    assert [section.page for section in document.sections] == [1, 3]


def test_pdf_without_text_is_no_text() -> None:
    with pytest.raises(IngestError) as caught:
        parse_document(documents.pdf_without_text(), "pdf")
    assert caught.value.code == "no_text"


def test_encrypted_pdf_is_refused() -> None:
    with pytest.raises(IngestError) as caught:
        parse_document(documents.encrypted_pdf(), "pdf")
    assert caught.value.code == "encrypted_pdf"
    assert "password" in caught.value.detail


def test_pdf_with_an_empty_user_password_opens() -> None:
    document = parse_document(documents.encrypted_pdf(user_password=""), "pdf")
    assert document.page_count == 3
    assert "arctic terns" in document.text


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.7\nthis is not a pdf body", documents.pdf_pages()[:200]],
)
def test_corrupt_pdf(data: bytes) -> None:
    with pytest.raises(IngestError) as caught:
        parse_document(data, "pdf")
    assert caught.value.code == "corrupt_file"


def test_docx_headings_become_sections_and_tables_rows() -> None:
    document = parse_document(documents.docx_report(), "docx")
    assert document.title == documents.DOCX_TITLE
    assert document.page_count is None
    assert [section.section for section in document.sections] == list(documents.DOCX_HEADINGS)
    revenue = document.sections[1].text
    for row in documents.DOCX_TABLE:
        assert " | ".join(row) in revenue
    assert "Sales grew steadily" in document.sections[0].text
    assert_offsets(document)


def test_docx_zip_bomb_is_refused_before_inflating() -> None:
    bomb = documents.docx_zip_bomb()
    assert len(bomb) < 200_000
    with pytest.raises(IngestError) as caught:
        parse_document(bomb, "docx")
    assert caught.value.code == "archive_too_large"
    assert caught.value.status_code == 413


def test_docx_limits_are_parameters() -> None:
    report = documents.docx_report()
    check_zip(report)  # a normal document passes the defaults
    with pytest.raises(IngestError, match="expands"):
        parse_docx(report, ZipLimits(max_uncompressed_bytes=1_000))
    with pytest.raises(IngestError, match="files"):
        check_zip(report, ZipLimits(max_entries=2))


@pytest.mark.parametrize("data", [documents.zip_archive(), documents.docx_with_broken_xml()])
def test_corrupt_docx(data: bytes) -> None:
    with pytest.raises(IngestError) as caught:
        parse_document(data, "docx")
    assert caught.value.code == "corrupt_file"


def test_html_drops_scripts_styles_and_navigation() -> None:
    document = parse_document(documents.HTML_PAGE, "html")
    assert document.title == "Gardening Guide"
    assert "tracking" not in document.text
    assert "color" not in document.text
    assert "About menu" not in document.text
    assert [section.section for section in document.sections] == ["Growing Tomatoes", "Pests"]
    assert "Tomatoes need full sun and regular watering." in document.text
    assert "Aphids | Soap spray" in document.sections[1].text
    assert_offsets(document)


def test_html_title_falls_back_to_h1() -> None:
    document = parse_document(b"<html><body><h1>Only Heading</h1><p>Body.</p></body>", "html")
    assert document.title == "Only Heading"


def test_markdown_headings_become_sections_and_markup_is_dropped() -> None:
    document = parse_document(documents.MARKDOWN_DOC, "markdown")
    assert document.title == "Coffee Brewing"
    assert [section.section for section in document.sections] == [
        "Coffee Brewing",
        "Pour Over",
        "Espresso",
    ]
    assert "Good coffee starts with fresh beans and clean water." in document.text
    assert "https://example.com" not in document.text
    assert "Pour over | 3 min" in document.sections[1].text
    assert 'grind = "medium-fine"' in document.sections[1].text
    assert_offsets(document)


def test_csv_rows_read_as_column_value_pairs() -> None:
    document = parse_document(documents.CSV_DOC, "csv")
    assert document.text.splitlines() == [
        "name: Alice; city: Paris; age: 34",
        "name: Bob; city: Berlin",
        "name: Chen; city: Tokyo; age: 29",
    ]


def test_csv_dialect_is_sniffed() -> None:
    document = parse_document(b"name;city\nAlice;Paris\nBob;Berlin\n", "csv")
    assert document.text.splitlines() == ["name: Alice; city: Paris", "name: Bob; city: Berlin"]


def test_json_is_flattened_to_paths() -> None:
    document = parse_document(documents.JSON_DOC, "json")
    assert document.title == "Inventory"
    lines = document.text.split("\n")
    assert "items[0].name: Widget" in lines
    assert "items[0].price: 2.5" in lines
    assert "warehouse.open: true" in lines
    assert [section.section for section in document.sections] == ["title", "items", "warehouse"]
    assert_offsets(document)


def test_deeply_nested_json_is_an_error_not_a_crash() -> None:
    depth = 100_000
    with pytest.raises(IngestError, match="nested too deeply") as caught:
        parse_document(("[" * depth + "1" + "]" * depth).encode(), "json")
    assert caught.value.code == "corrupt_file"


def test_nested_json_paths() -> None:
    document = parse_document(b'{"a": [[{"b c": {"d": null}}]]}', "json")
    assert document.text == 'a[0][0]["b c"].d: null'


def test_invalid_json_is_corrupt() -> None:
    with pytest.raises(IngestError) as caught:
        parse_document(b'{"a": ', "json")
    assert caught.value.code == "corrupt_file"


def test_plain_text_is_one_section_with_normalised_whitespace() -> None:
    document = parse_document(b"Line one.\r\n\r\n\r\n\r\nLine   two.\x00\n", "text")
    assert document.text == "Line one.\n\nLine two."
    assert document.title is None
    assert len(document.sections) == 1


@pytest.mark.parametrize("content_type", ["text", "markdown", "html", "csv"])
def test_whitespace_only_content_is_no_text(content_type: str) -> None:
    with pytest.raises(IngestError) as caught:
        parse_document(b"  \n\n  ", content_type)  # type: ignore[arg-type]
    assert caught.value.code == "no_text"


def test_invalid_encoding_in_a_text_parser() -> None:
    with pytest.raises(IngestError) as caught:
        parse_document(documents.INVALID_UTF8, "markdown")
    assert caught.value.code == "invalid_encoding"


def test_empty_bytes() -> None:
    with pytest.raises(IngestError) as caught:
        parse_document(b"", "pdf")
    assert caught.value.code == "empty_file"
