"""Token-aware chunking with semchunk and the MiniLM tokenizer.

Chunks never cross a page, and never cross a heading unless the text before it is short:
the document is cut into spans at page and section boundaries, a span shorter than
``min_span_tokens`` (default a quarter of ``chunk_size``) running on into the next section of
the same page, so a heading with one line does not become a chunk of its own. Each span is
chunked by semchunk (paragraphs, then lines, sentences, words) with ``offsets=True``; a chunk
takes the page and section of the section its start falls in. Offsets are into
``ParsedDocument.text``: ``document.text[chunk.start:chunk.end] == chunk.text``. Overlap
applies between chunks of one span, not across page or section cuts.

Token counts include the model's two special tokens ([CLS], [SEP]), so ``chunk_size=256``
makes every chunk fit MiniLM's 256-token window exactly and none is truncated when embedded.
semchunk's overlap mode merges units of ``min(overlap, chunk_size - overlap)`` tokens, so
with overlap chunks average well under ``chunk_size`` (about 160 of 256 with overlap 32).
"""

from __future__ import annotations

import bisect
import hashlib
import threading
from dataclasses import dataclass
from functools import lru_cache

from semchunk.semchunk import chunk as semantic_chunks
from tokenizers import Tokenizer

from fltr_content.embeddings.tokenizer import load_tokenizer
from fltr_content.ingest.document import ParsedDocument

DEFAULT_CHUNK_SIZE = 256
DEFAULT_CHUNK_OVERLAP = 32
MIN_CHUNK_SIZE = 8
CACHED_TEXT_MAX_CHARS = 8_192

_lock = threading.Lock()
_tokenizer: Tokenizer | None = None


@dataclass(frozen=True, slots=True)
class Chunk:
    chunk_index: int  # 0..n-1 in document order
    text: str
    start: int  # character offsets into ParsedDocument.text, end exclusive
    end: int
    page: int | None
    section: str | None
    token_count: int  # including [CLS] and [SEP]
    content_hash: str  # sha256 hex of ``text`` (UTF-8)


def _counter_tokenizer() -> Tokenizer:
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                _tokenizer = load_tokenizer()
    return _tokenizer


def count_tokens(text: str) -> int:
    """MiniLM tokens in ``text``, [CLS] and [SEP] included."""
    if len(text) > CACHED_TEXT_MAX_CHARS:
        return _count(text)
    return _count_cached(text)


def _count(text: str) -> int:
    return len(_counter_tokenizer().encode(text, add_special_tokens=True).ids)


# semchunk counts many overlapping candidates of the same text; its own memoization is an
# unbounded cache per counter that would grow for the life of a worker. This one is bounded
# in entries and, by skipping long texts (whole sections), in bytes.
_count_cached = lru_cache(maxsize=16_384)(_count)


def chunk_document(
    document: ParsedDocument,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    overlap: int | float = DEFAULT_CHUNK_OVERLAP,
    min_span_tokens: int | None = None,
) -> list[Chunk]:
    """Split ``document.text`` into chunks of at most ``chunk_size`` tokens.

    ``overlap`` is a token count (>= 1) or a fraction of ``chunk_size`` (< 1); 0 for none.
    """
    if chunk_size < MIN_CHUNK_SIZE:
        raise ValueError(f"chunk_size must be at least {MIN_CHUNK_SIZE} tokens")
    if overlap < 0 or overlap >= chunk_size:
        raise ValueError("overlap must be >= 0 and smaller than chunk_size")
    if min_span_tokens is None:
        min_span_tokens = chunk_size // 4
    starts = [section.start for section in document.sections]
    chunks: list[Chunk] = []
    for span_start, span_end in _spans(document, min_span_tokens):
        result = semantic_chunks(
            document.text[span_start:span_end],
            chunk_size=chunk_size,
            token_counter=count_tokens,
            memoize=False,
            offsets=True,
            overlap=overlap or None,
        )
        assert isinstance(result, tuple)  # offsets=True returns (texts, offsets)
        for text, (start, end) in zip(*result, strict=True):
            section = document.sections[max(bisect.bisect_right(starts, span_start + start) - 1, 0)]
            chunks.append(
                Chunk(
                    chunk_index=len(chunks),
                    text=text,
                    start=span_start + start,
                    end=span_start + end,
                    page=section.page,
                    section=section.section,
                    token_count=count_tokens(text),
                    content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                )
            )
    return chunks


def _spans(document: ParsedDocument, min_tokens: int) -> list[tuple[int, int]]:
    """(start, end) offsets of the runs of sections chunked together."""
    spans: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    tokens = 0
    page: int | None = None
    for section in document.sections:
        size = count_tokens(section.text) - 2
        if current is not None and section.page == page and tokens < min_tokens:
            current, tokens = (current[0], section.end), tokens + size
            continue
        if current is not None:
            spans.append(current)
        current, tokens, page = (section.start, section.end), size, section.page
    if current is not None:
        spans.append(current)
    return spans
