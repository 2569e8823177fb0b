"""Structured search filters -> a Milvus boolean expression.

Every value goes through ``vectors.filters`` (``text_literal`` / ``int_literal``); field names
come from this module, never from the request. The dataset's own id is always ANDed in, so
even a collection holding another dataset's rows could not leak them.
"""

from __future__ import annotations

from fltr_content.search.schemas import SearchFilters
from fltr_content.vectors.filters import int_literal, text_literal

# request key -> chunk field (VARCHAR scalars matched by equality)
_TEXT_FIELDS = {
    "document_id": "document_id",
    "source": "source",
    "section": "section",
    "title": "title",
}


def _any_of(field: str, values: list[str]) -> str:
    if len(values) == 1:
        return f"{field} == {text_literal(values[0])}"
    listed = ", ".join(text_literal(v) for v in values)
    return f"{field} in [{listed}]"


def compile_filters(dataset_id: str, filters: SearchFilters | None) -> str:
    clauses = [f"dataset_id == {text_literal(dataset_id)}"]
    if filters is not None:
        for key, field in _TEXT_FIELDS.items():
            values: list[str] | None = getattr(filters, key)
            if values:
                clauses.append(_any_of(field, values))
        if filters.page is not None:
            # pages are 1-based; chunks of page-less formats carry -1 and never match
            lowest = filters.page.gte if filters.page.gte is not None else 1
            clauses.append(f"page >= {int_literal(max(lowest, 1))}")
            if filters.page.lte is not None:
                clauses.append(f"page <= {int_literal(filters.page.lte)}")
        if filters.tags:
            listed = ", ".join(text_literal(t) for t in filters.tags)
            clauses.append(f"ARRAY_CONTAINS_ANY(tags, [{listed}])")
    return " and ".join(f"({c})" for c in clauses)
