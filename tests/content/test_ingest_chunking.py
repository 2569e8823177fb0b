"""Token-aware chunking: every chunk fits the token budget ([CLS]/[SEP] included), its
offsets slice it out of the document's full text, indexes run 0..n-1 in order, no chunk
crosses a page or (unless the text before it is short) a heading, page and section come from
where the chunk starts, and the hash is the text's sha256."""

from __future__ import annotations

import hashlib
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fltr_content.ingest.chunking import chunk_document, count_tokens
from fltr_content.ingest.document import ParsedDocument, build_document, clean_text
from fltr_content.ingest.errors import IngestError
from fltr_content.ingest.parsers import parse_document
from tests.content import documents

pytestmark = pytest.mark.core

SENTENCES = [
    "The committee reviewed the annual budget and approved new funding for public libraries.",
    "Researchers observed that migratory birds adjust their routes when winters are milder.",
    "A well-seasoned cast iron pan distributes heat evenly and lasts for generations.",
    "The software release fixed several memory leaks reported by users of the mobile app.",
]


def long_document(pages: int = 4, sentences_per_page: int = 60) -> ParsedDocument:
    parts = [
        (" ".join(SENTENCES[(page + i) % 4] for i in range(sentences_per_page)), page, None)
        for page in range(1, pages + 1)
    ]
    return build_document("pdf", parts, page_count=pages)


def check_invariants(document: ParsedDocument, chunk_size: int) -> None:
    chunks = chunk_document(document, chunk_size=chunk_size, overlap=0)
    assert [chunk.chunk_index for chunk in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert document.text[chunk.start : chunk.end] == chunk.text
        assert 0 < chunk.token_count <= chunk_size
        assert chunk.token_count == count_tokens(chunk.text)
        assert chunk.content_hash == hashlib.sha256(chunk.text.encode()).hexdigest()
    assert [chunk.start for chunk in chunks] == sorted(chunk.start for chunk in chunks)


def test_chunks_fit_the_budget_and_slice_the_full_text() -> None:
    check_invariants(long_document(), 256)
    check_invariants(long_document(), 64)


def test_pages_come_from_where_each_chunk_starts() -> None:
    document = long_document()
    chunks = chunk_document(document, chunk_size=128, overlap=0)
    assert {chunk.page for chunk in chunks} == {1, 2, 3, 4}
    for chunk in chunks:
        section = next(s for s in document.sections if s.start <= chunk.start < s.end)
        assert chunk.page == section.page
    pages = [chunk.page for chunk in chunks]
    assert pages == sorted(pages)  # type: ignore[type-var]


def test_no_chunk_crosses_a_page() -> None:
    document = long_document()
    for overlap in (0, 32):
        for chunk in chunk_document(document, chunk_size=200, overlap=overlap):
            section = next(s for s in document.sections if s.start <= chunk.start < s.end)
            assert chunk.end <= section.end


def test_short_sections_run_on_into_the_next() -> None:
    parts = [
        ("Chapter One", None, "Chapter One"),
        ("Intro " + " ".join(SENTENCES * 3), None, "Intro"),
        (" ".join(SENTENCES * 3), None, "Details"),
    ]
    document = build_document("markdown", parts)
    chunks = chunk_document(document, chunk_size=256, overlap=0)
    assert chunks[0].section == "Chapter One"
    assert chunks[0].text.startswith("Chapter One\n\nIntro")
    assert chunks[-1].section == "Details"
    assert chunks[-1].start == document.sections[2].start
    separate = chunk_document(document, chunk_size=256, overlap=0, min_span_tokens=0)
    assert separate[0].text == "Chapter One"


def test_sections_follow_headings() -> None:
    document = parse_document(documents.MARKDOWN_DOC, "markdown")
    chunks = chunk_document(document, chunk_size=24, overlap=0)
    assert {chunk.section for chunk in chunks} == {"Coffee Brewing", "Pour Over", "Espresso"}
    espresso = [chunk for chunk in chunks if "nine bars" in chunk.text]
    assert espresso
    assert espresso[0].section == "Espresso"
    assert all(chunk.page is None for chunk in chunks)


def test_overlap_repeats_text_between_neighbours() -> None:
    document = long_document(pages=1)
    plain = chunk_document(document, chunk_size=128, overlap=0)
    overlapped = chunk_document(document, chunk_size=128, overlap=32)
    assert len(overlapped) > len(plain)
    overlaps = [b.start < a.end for a, b in itertools.pairwise(overlapped)]
    assert any(overlaps)
    for chunk in overlapped:
        assert document.text[chunk.start : chunk.end] == chunk.text
        assert chunk.token_count <= 128
    ratio = chunk_document(document, chunk_size=128, overlap=0.25)
    assert [(c.start, c.end) for c in ratio] == [(c.start, c.end) for c in overlapped]


def test_default_chunks_fit_the_embedding_window() -> None:
    chunks = chunk_document(long_document())
    assert max(chunk.token_count for chunk in chunks) <= 256
    assert max(chunk.token_count for chunk in chunks) > 128


def test_a_short_document_is_one_chunk() -> None:
    document = parse_document(documents.PLAIN_TEXT, "text")
    [chunk] = chunk_document(document)
    assert chunk.text == documents.PLAIN_TEXT.decode().strip()
    assert (chunk.start, chunk.end) == (0, len(document.text))


@pytest.mark.parametrize(("size", "overlap"), [(4, 0), (256, 256), (256, -1), (256, 300)])
def test_bad_parameters(size: int, overlap: int) -> None:
    with pytest.raises(ValueError, match=r"chunk_size|overlap"):
        chunk_document(long_document(pages=1), chunk_size=size, overlap=overlap)


def test_count_tokens_includes_the_special_tokens() -> None:
    assert count_tokens("") == 2
    assert count_tokens("hello world") == 4


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.text(
            alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
            min_size=1,
            max_size=400,
        ),
        min_size=1,
        max_size=5,
    )
)
def test_offsets_hold_for_arbitrary_text(texts: list[str]) -> None:
    parts = [(text, index + 1, f"part {index}") for index, text in enumerate(texts)]
    if not any(clean_text(text) for text in texts):
        with pytest.raises(IngestError):
            build_document("pdf", parts)
        return
    check_invariants(build_document("pdf", parts), 32)
