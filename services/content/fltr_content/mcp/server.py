"""One MCP server (the official ``mcp`` SDK's ``MCPServer``) serving every dataset.

``mcp.endpoint`` authenticates the call and resolves the dataset version before the SDK sees
the request, and leaves an ``McpCall`` on the request's state; the tools read it from there
(the request context carries the Starlette request). A server middleware puts the dataset's
name and description into the instructions and tool descriptions of ``initialize``,
``server/discover`` and ``tools/list``, and names the MCP method in the call's usage row.

Errors inside a tool come back as ``isError`` results (``code: detail``), never as HTTP
errors: a refused charge is ``insufficient_credits: ...``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field
from pydantic_core import to_json

from fltr_content import __version__
from fltr_content.callers.resolver import Caller
from fltr_content.mcp.schemas import checkable
from fltr_content.search import documents, service
from fltr_content.search.access import Target
from fltr_content.search.schemas import (
    DEFAULT_TOP_K,
    MAX_NEIGHBORS,
    MAX_QUERY_LENGTH,
    MAX_TOP_K,
    ChunkOut,
    Mode,
    SearchFilters,
    SearchHit,
    SearchOptions,
)
from fltr_content.usage.recorder import UsageDraft
from fltr_shared.db import Database
from fltr_shared.errors import AppError
from fltr_shared.pagination import MAX_OFFSET

STATE_KEY = "fltr_mcp_call"
MAX_DOCUMENT_CHUNKS = 500
MAX_DOCUMENTS_PAGE = 100
DESCRIPTION_CHARS = 500

INSTRUCTIONS = (
    "Search one FLTR dataset. Use `search` for passages relevant to a question (each hit "
    "cites its document, page, section and character offsets), `get_chunk` for a hit's "
    "surrounding chunks, `list_documents` to see what the dataset holds and "
    "`fetch_document` for a document's full indexed text. Each `search` call costs credits."
)


@dataclass(frozen=True)
class McpCall:
    """What the endpoint resolved for this POST: who calls, which version, how to charge."""

    caller: Caller
    target: Target
    engine: service.Engine
    database: Database
    idempotency_base: str
    draft: UsageDraft


class SearchResults(BaseModel):
    results: list[SearchHit]


def _call(ctx: Context) -> McpCall:
    request = ctx.request_context.request
    state = getattr(request, "scope", {}).get("state", {})
    call = state.get(STATE_KEY)
    if not isinstance(call, McpCall):
        raise ToolError("no_dataset: this MCP call was not routed through a dataset endpoint")
    return call


def _tool_error(exc: AppError) -> ToolError:
    return ToolError(f"{exc.code}: {exc.detail}")


def _dataset_blurb(target: Target) -> str:
    description = " ".join(target.description.split())
    if len(description) > DESCRIPTION_CHARS:
        description = description[: DESCRIPTION_CHARS - 1] + "…"
    blurb = f"Dataset: {target.name} ({target.ref})."
    return f"{blurb} {description}" if description else blurb


class DatasetContext:
    """Server middleware: per-dataset instructions and descriptions; the method in usage."""

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        request = ctx.request
        state = getattr(request, "scope", {}).get("state", {})
        call = state.get(STATE_KEY)
        if isinstance(call, McpCall) and ctx.request_id is not None:
            name = (ctx.params or {}).get("name") if ctx.method == "tools/call" else None
            call.draft.endpoint = f"mcp:{ctx.method}" + (
                f":{name}" if isinstance(name, str) else ""
            )
        result = await call_next(ctx)
        if not isinstance(call, McpCall) or not isinstance(result, dict):
            return result
        blurb = _dataset_blurb(call.target)
        if ctx.method in ("initialize", "server/discover"):
            result = {**result, "instructions": f"{blurb}\n\n{INSTRUCTIONS}"}
        elif ctx.method == "tools/list" and isinstance(result.get("tools"), list):
            result = {
                **result,
                "tools": [
                    {**tool, "description": f"{tool.get('description', '')}\n\n{blurb}"}
                    if isinstance(tool, dict)
                    else tool
                    for tool in result["tools"]
                ],
            }
        return result


Query = Annotated[
    str,
    Field(min_length=1, max_length=MAX_QUERY_LENGTH, description="What to look for."),
]
TopK = Annotated[int, Field(ge=1, le=MAX_TOP_K, description=f"Hits (1..{MAX_TOP_K}).")]
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)


def _tool(fn: Any, name: str, description: str, *, checked_here: bool = False) -> Tool:
    """A read-only tool with structured output, its outputSchema made cheap to check.

    ``checked_here``: the tool builds its CallToolResult from models that were validated
    already, so the SDK need not validate the structured content against the model again
    (it skips that when the metadata has a schema and no model)."""
    tool = Tool.from_function(
        fn, name=name, description=description, annotations=READ_ONLY, structured_output=True
    )
    # read on every call and listing (FuncMetadata's fields are live), so set it before both
    if tool.fn_metadata.output_schema is not None:
        tool.fn_metadata.output_schema = checkable(tool.fn_metadata.output_schema)
    if checked_here:
        tool.fn_metadata.output_model = None
    return tool


def _results(hits: list[SearchHit]) -> CallToolResult:
    """The hits as structuredContent and the same JSON as text, both compact: fields at their
    defaults (no ``before``/``after`` unless neighbours were asked for) are left out, which
    the schema allows, and the text has no indentation (the SDK's own rendering indents,
    doubling what a client downloads and parses)."""
    payload = SearchResults(results=hits).model_dump(mode="json", exclude_defaults=True)
    text = to_json(payload).decode()
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=payload)


async def search(
    query: Query,
    ctx: Context,
    top_k: TopK = DEFAULT_TOP_K,
    mode: Mode = "hybrid",
    filters: SearchFilters | None = None,
) -> Annotated[CallToolResult, SearchResults]:
    call = _call(ctx)
    if not query.strip():
        raise ToolError("validation_error: query must not be blank")
    options = SearchOptions(query=query, top_k=top_k, mode=mode, filters=filters)
    engine = call.engine
    # one charge per JSON-RPC request of this POST
    key = f"{call.idempotency_base}:{ctx.request_id}"
    try:
        # the charge starts now and overlaps the query embedding and the search, which
        # run on one worker thread (the dataset is authorized already)
        work = service.start_query(engine.embedder, options)
        hits, credits = await service.hits_and_charge(
            engine, call.caller, [call.target], options, work, key
        )
    except AppError as exc:
        raise _tool_error(exc) from None
    call.draft.credits_each = engine.price if credits else 0
    call.draft.tokens = service.tokens_of(hits)
    return _results(hits)


async def get_chunk(
    chunk_id: Annotated[str, Field(min_length=1, max_length=64)],
    ctx: Context,
    neighbors: Annotated[int, Field(ge=0, le=MAX_NEIGHBORS)] = 1,
) -> ChunkOut:
    call = _call(ctx)
    try:
        chunk = await service.get_chunk(call.engine.chunks, call.target, chunk_id, neighbors)
    except AppError as exc:
        raise _tool_error(exc) from None
    call.draft.tokens = chunk.token_count
    return chunk


async def list_documents(
    ctx: Context,
    limit: Annotated[int, Field(ge=1, le=MAX_DOCUMENTS_PAGE)] = 20,
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET)] = 0,
) -> documents.DocumentList:
    call = _call(ctx)
    async with call.database.transaction() as session:
        return await documents.list_documents(session, call.target, limit, offset)


async def fetch_document(
    document_id: Annotated[str, Field(min_length=1, max_length=64)],
    ctx: Context,
    max_chunks: Annotated[int, Field(ge=1, le=MAX_DOCUMENT_CHUNKS)] = 200,
) -> documents.DocumentText:
    call = _call(ctx)
    try:
        async with call.database.transaction() as session:
            found = await documents.fetch_document(
                session, call.engine.chunks, call.target, document_id, max_chunks
            )
    except AppError as exc:
        raise _tool_error(exc) from None
    return found


def tools() -> list[Tool]:
    return [
        _tool(
            search,
            "search",
            "Search the dataset for passages relevant to a query (hybrid: embeddings and "
            "keywords, fused by reciprocal rank fusion). Each hit has the text, a score and a "
            "citation (document, title, source, page, section, character offsets). Costs "
            "credits.",
            checked_here=True,
        ),
        _tool(
            get_chunk,
            "get_chunk",
            "Read one chunk by its chunk_id (from a search hit), with up to "
            f"`neighbors` (0..{MAX_NEIGHBORS}) chunks before and after it in document order.",
        ),
        _tool(
            list_documents,
            "list_documents",
            "List the documents of the dataset (newest first), with their ids, titles, "
            "types and sizes.",
        ),
        _tool(
            fetch_document,
            "fetch_document",
            "Fetch a document's full indexed text (its chunks in order) and metadata, "
            "by document_id (from a search hit or list_documents).",
        ),
    ]


def build_server() -> MCPServer:
    server: MCPServer = MCPServer(
        "fltr",
        title="FLTR dataset",
        instructions=INSTRUCTIONS,
        version=__version__,
        log_level="WARNING",
        middleware=[DatasetContext()],
        tools=tools(),
    )

    @server.resource(
        "fltr://documents/{document_id}",
        name="document",
        description="A document's indexed text (its chunks in order), by id.",
        mime_type="text/plain",
    )
    async def document_resource(document_id: str, ctx: Context) -> str:
        call = _call(ctx)
        try:
            async with call.database.transaction() as session:
                found = await documents.fetch_document(
                    session, call.engine.chunks, call.target, document_id, MAX_DOCUMENT_CHUNKS
                )
        except AppError as exc:
            error = ResourceNotFoundError if exc.status_code == 404 else ResourceError
            raise error(f"{exc.code}: {exc.detail}") from None
        return found.text

    return server


def session_manager(server: MCPServer) -> StreamableHTTPSessionManager:
    """Stateless, JSON responses (see the shared MCP facts): any worker answers any POST."""
    server.streamable_http_app(
        json_response=True,
        stateless_http=True,
        # Credentials come only in headers (never cookies) on this endpoint, so a page that
        # rebinds DNS to us gains nothing; Host and Origin checks would only break proxies.
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    return server.session_manager


@asynccontextmanager
async def running(manager: StreamableHTTPSessionManager) -> AsyncIterator[None]:
    """Run the session manager (its task group) in a task of its own: the app's lifespan may
    be entered and left in different tasks (test fixtures do), which a task group forbids."""
    started = asyncio.Event()
    stop = asyncio.Event()

    async def serve() -> None:
        async with manager.run():
            started.set()
            await stop.wait()

    task = asyncio.create_task(serve(), name="mcp-session-manager")
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiter.cancel()
        task.result()  # raises what made it stop
    try:
        yield
    finally:
        stop.set()
        await task
