"""Request and response bodies of search, with their documented limits.

Limits: ``query`` 1..2,000 characters (not blank), ``top_k`` 1..50 (default 10), ``neighbors``
0..5 chunks before and after each hit, at most 10 datasets in one cross-dataset search, at
most 100 values in one filter list. Filter strings are 1..1,024 characters (``source``
2,048) of printable text: control characters and unpaired surrogates are a 422, so nothing a
caller sends can change the meaning of a Milvus expression (see ``search.filters``).
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

MAX_QUERY_LENGTH = 2_000
MAX_TOP_K = 50
DEFAULT_TOP_K = 10
MAX_NEIGHBORS = 5
MAX_DATASETS = 10
MAX_FILTER_VALUES = 100
MAX_FILTER_STRING = 1_024
MAX_SOURCE_STRING = 2_048

Mode = Literal["dense", "keyword", "hybrid"]


def _printable(value: str) -> str:
    for char in value:
        if 0xD800 <= ord(char) <= 0xDFFF:
            raise ValueError("unpaired surrogate")
        # Cc: control characters (NUL, tabs, newlines); Cs caught above
        if unicodedata.category(char) == "Cc":
            raise ValueError("control characters are not allowed")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


FilterText = Annotated[
    str, Field(min_length=1, max_length=MAX_FILTER_STRING), AfterValidator(_printable)
]
SourceText = Annotated[
    str, Field(min_length=1, max_length=MAX_SOURCE_STRING), AfterValidator(_printable)
]
OneOrMany = Annotated[list[FilterText], Field(min_length=1, max_length=MAX_FILTER_VALUES)]
Sources = Annotated[list[SourceText], Field(min_length=1, max_length=MAX_FILTER_VALUES)]


def _listed(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class PageRange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gte: int | None = Field(None, ge=0, le=1_000_000, description="First page (1-based).")
    lte: int | None = Field(None, ge=0, le=1_000_000, description="Last page.")

    @model_validator(mode="after")
    def _ordered(self) -> PageRange:
        if self.gte is None and self.lte is None:
            raise ValueError("give gte, lte or both")
        if self.gte is not None and self.lte is not None and self.gte > self.lte:
            raise ValueError("gte is after lte")
        return self


class SearchFilters(BaseModel):
    """Metadata filters, all optional, combined with AND; a list matches any of its values.
    A string may be given where a list is expected."""

    model_config = ConfigDict(extra="forbid")

    document_id: OneOrMany | None = None
    source: Sources | None = None
    section: OneOrMany | None = None
    title: OneOrMany | None = None
    page: PageRange | None = Field(None, description="Pages within [gte, lte] (inclusive).")
    tags: OneOrMany | None = Field(None, description="Chunks carrying any of these tags.")

    @model_validator(mode="before")
    @classmethod
    def _strings_to_lists(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {
                key: _listed(value)
                if key in ("document_id", "source", "section", "title", "tags")
                else value
                for key, value in data.items()
            }
        return data


Query = Annotated[str, Field(min_length=1, max_length=MAX_QUERY_LENGTH), AfterValidator(_not_blank)]


class SearchOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: Query = Field(description=f"What to look for (1..{MAX_QUERY_LENGTH} characters).")
    top_k: int = Field(DEFAULT_TOP_K, ge=1, le=MAX_TOP_K, description=f"Hits (max {MAX_TOP_K}).")
    mode: Mode = Field(
        "hybrid",
        description="dense (embeddings), keyword (BM25) or hybrid (both, fused by reciprocal "
        "rank fusion).",
    )
    filters: SearchFilters | None = None
    score_threshold: float | None = Field(
        None,
        description="Drop hits scoring below this (dense: cosine similarity in [-1, 1]; "
        "keyword: BM25; hybrid: RRF score, at most 2/61).",
    )
    neighbors: int = Field(
        0,
        ge=0,
        le=MAX_NEIGHBORS,
        description=f"Also return up to this many chunks before and after each hit, in "
        f"document order (max {MAX_NEIGHBORS}).",
    )
    rerank: bool = Field(
        False, description="Re-order the hits with the configured reranker (off by default)."
    )


class SearchRequest(SearchOptions):
    pass


class MultiSearchRequest(SearchOptions):
    datasets: list[Annotated[str, Field(min_length=1, max_length=120)]] = Field(
        min_length=1,
        max_length=MAX_DATASETS,
        description=f"Slugs, ids or slug@version (1..{MAX_DATASETS}, distinct).",
    )

    @model_validator(mode="after")
    def _distinct(self) -> MultiSearchRequest:
        if len(set(self.datasets)) != len(self.datasets):
            raise ValueError("datasets must be distinct")
        return self


class Citation(BaseModel):
    document_id: str
    title: str
    source: str
    page: int | None = Field(description="1-based; null when the format has no pages.")
    section: str
    start_offset: int = Field(description="Character offset of the chunk in the document text.")
    end_offset: int


class NeighborChunk(BaseModel):
    chunk_id: str
    chunk_index: int
    text: str
    start_offset: int
    end_offset: int


class SearchHit(BaseModel):
    chunk_id: str
    document_id: str
    chunk_index: int
    text: str
    score: float
    citation: Citation
    tags: list[str]
    token_count: int
    dataset: str = Field(description="The dataset's slug.")
    version: str = Field(description="The version answered from (draft for the working copy).")
    before: list[NeighborChunk] | None = Field(
        None, description="With neighbors: the chunks before the hit, in document order."
    )
    after: list[NeighborChunk] | None = None


class SearchResponse(BaseModel):
    results: list[SearchHit]
    query: str
    mode: Mode
    top_k: int
    datasets: list[str] = Field(description="slug@version of every dataset searched.")
    credits_charged: int
    took_ms: int


class ChunkOut(BaseModel):
    chunk_id: str
    document_id: str
    chunk_index: int
    text: str
    token_count: int
    tags: list[str]
    citation: Citation
    dataset: str
    version: str
    before: list[NeighborChunk] | None = None
    after: list[NeighborChunk] | None = None
