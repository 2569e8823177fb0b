"""The MCP tools' output schemas (``fltr_content.mcp.schemas.checkable``): written without
``$ref``s and nullable ``anyOf``s, they must accept and refuse exactly what pydantic's own
schema for the same model does, for valid results and for every single-field corruption of
them."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema.validators import validator_for
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import StrictJsonSchema
from pydantic import TypeAdapter

from fltr_content.mcp import server
from fltr_content.mcp.schemas import checkable
from fltr_content.search.documents import DocumentBrief, DocumentList, DocumentText
from fltr_content.search.schemas import ChunkOut, Citation, NeighborChunk, SearchHit

pytestmark = pytest.mark.core


def _citation(page: int | None) -> Citation:
    return Citation(
        document_id="doc-1",
        title="Terns",
        source="https://example.com",
        page=page,
        section="Migration",
        start_offset=0,
        end_offset=40,
    )


def _neighbor(index: int) -> NeighborChunk:
    return NeighborChunk(
        chunk_id=f"doc-1-{index:06d}",
        chunk_index=index,
        text="before",
        start_offset=0,
        end_offset=6,
    )


def _hit(page: int | None, neighbors: bool) -> SearchHit:
    return SearchHit(
        chunk_id="doc-1-000001",
        document_id="doc-1",
        chunk_index=1,
        text="Arctic terns migrate.",
        score=0.83,
        citation=_citation(page),
        tags=["birds"],
        token_count=4,
        dataset="facts",
        version="draft",
        before=[_neighbor(0)] if neighbors else None,
        after=[] if neighbors else None,
    )


def _brief(pages: int | None) -> DocumentBrief:
    return DocumentBrief(
        id="doc-1",
        title="Terns",
        filename="terns.pdf",
        content_type="pdf",
        status="ready",
        chunk_count=2,
        page_count=pages,
        token_count=40,
    )


def _examples() -> dict[str, list[Any]]:
    """Valid results of each tool, as pydantic dumps them and as the search tool sends them."""
    hits = [_hit(page, neighbors) for page in (3, None) for neighbors in (False, True)]
    results = server.SearchResults(results=hits)
    chunk = ChunkOut.model_validate(
        {k: v for k, v in hits[1].model_dump().items() if k in ChunkOut.model_fields}
    )
    return {
        "search": [
            results.model_dump(mode="json"),
            results.model_dump(mode="json", exclude_defaults=True),
            {"results": []},
        ],
        "get_chunk": [chunk.model_dump(mode="json")],
        "list_documents": [
            DocumentList(
                documents=[_brief(3), _brief(None)], total=2, limit=20, offset=0
            ).model_dump(mode="json")
        ],
        "fetch_document": [
            DocumentText(
                document=_brief(p), text="Arctic terns migrate.", chunks=1, truncated=False
            ).model_dump(mode="json")
            for p in (3, None)
        ],
    }


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


def _corruptions(example: Any) -> Iterator[Any]:
    """Every value replaced by each of a few wrong things, and every dict key removed."""
    for path in _paths(example):
        if not path:
            continue
        for replacement in (None, "x", 7, 1.5, True, [], {}, [None], {"x": 1}):
            changed = copy.deepcopy(example)
            parent = changed
            for step in path[:-1]:
                parent = parent[step]
            parent[path[-1]] = replacement
            yield changed
        if isinstance(path[-1], str):
            changed = copy.deepcopy(example)
            parent = changed
            for step in path[:-1]:
                parent = parent[step]
            del parent[path[-1]]
            yield changed


def _tools() -> dict[str, Tool]:
    return {tool.name: tool for tool in server.tools()}


MODELS: dict[str, type[Any]] = {
    "search": server.SearchResults,
    "get_chunk": ChunkOut,
    "list_documents": DocumentList,
    "fetch_document": DocumentText,
}


def _pydantic_schema(name: str) -> dict[str, Any]:
    """The schema the SDK derives from the tool's return model (as it would publish it)."""
    schema: dict[str, Any] = TypeAdapter(MODELS[name]).json_schema(
        schema_generator=StrictJsonSchema
    )
    return schema


@pytest.mark.parametrize("name", ["search", "get_chunk", "list_documents", "fetch_document"])
def test_the_checkable_schema_accepts_and_refuses_what_pydantics_does(name: str) -> None:
    tool = _tools()[name]
    original = _pydantic_schema(name)
    served = tool.output_schema
    assert served is not None
    assert served == checkable(original)
    text = json.dumps(served)
    assert "$ref" not in text
    assert "$defs" not in text
    assert '{"type": "null"}' not in text  # every nullable became a type list
    strict, cheap = (validator_for(s)(s) for s in (original, served))
    checked = 0
    for example in _examples()[name]:
        assert strict.is_valid(example), example
        assert cheap.is_valid(example), example
        for corrupted in _corruptions(example):
            assert strict.is_valid(corrupted) == cheap.is_valid(corrupted), corrupted
            checked += 1
    assert checked > 20


def test_a_recursive_schema_is_refused_rather_than_inlined_forever() -> None:
    looped = {
        "$defs": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}},
        "$ref": "#/$defs/Node",
    }
    with pytest.raises(ValueError, match="recursive"):
        checkable(looped)
