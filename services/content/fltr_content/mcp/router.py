"""MCP per dataset: ``POST /mcp/{ref}`` (``ref`` = slug, id or ``slug@version``), its OAuth
protected-resource metadata, and ready-to-paste client configuration.

``POST /mcp/{ref}`` takes ``Authorization: Bearer fltr_...`` (an API key) or a session JWT /
bearer token (``X-API-Key`` works too; cookies do not). No or a bad credential: 401 with
``WWW-Authenticate: Bearer resource_metadata=...``; a key whose allowlist leaves the dataset
out, or a paid dataset not bought: 403; unknown dataset or version: 404; then the official
SDK answers (stateless, JSON). Other methods are 405. Rate limits, billing (per ``search``
call) and usage rows are the REST search's.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from fltr_content.callers.deps import LenientCallerDep, OptionalCallerDep
from fltr_content.callers.resolver import Caller
from fltr_content.datasets.directory import DirectoryDep
from fltr_content.mcp import clients, service
from fltr_content.mcp.server import STATE_KEY
from fltr_content.search.deps import EngineDep
from fltr_content.settings import ContentSettings
from fltr_content.usage.recorder import track
from fltr_shared.db import SessionDep
from fltr_shared.errors import AppError, Unauthorized
from fltr_shared.request_id import current_request_id

router = APIRouter(tags=["mcp"])
# the document's shape of a JSON-RPC 2.0 answer: a result or an error for the request's id
_JSON_RPC_ANSWER: dict[str, Any] = {
    "type": "object",
    "required": ["jsonrpc"],
    "properties": {
        "jsonrpc": {"const": "2.0"},
        "id": {"type": ["string", "integer", "null"]},
        "result": {"type": "object"},
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
        },
    },
}

Ref = Annotated[str, Path(min_length=1, max_length=120, description="Slug, id, or slug@version.")]


class _HandOff(Response):
    """Lets the SDK's session manager answer the request the route accepted."""

    def __init__(self, handle: Any) -> None:
        super().__init__()
        self._handle = handle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._handle(scope, receive, send)


def _challenge(request: Request, ref: str) -> Unauthorized:
    metadata = clients.resource_metadata_url(str(request.base_url), ref)
    return Unauthorized(
        "Send an API key (Authorization: Bearer fltr_...) or a session JWT.",
        headers={"WWW-Authenticate": f'Bearer resource_metadata="{metadata}"'},
    )


async def _header_credential(request: Request, ref: Ref) -> None:
    # cookies are never enough here: a browser would attach them to cross-site POSTs
    if not request.headers.get("authorization") and not request.headers.get("x-api-key"):
        raise _challenge(request, ref)


class UnsupportedMediaType(AppError):
    status_code = 415
    default_code = "unsupported_media_type"
    default_detail = "MCP requests are JSON-RPC: send Content-Type: application/json."


async def _json_body(request: Request) -> None:
    # the SDK would answer a plain-text 400; callers get our JSON error shape instead
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/json":
        raise UnsupportedMediaType()


async def _mcp_caller(request: Request, ref: Ref, caller: LenientCallerDep) -> Caller:
    if caller is None:
        raise _challenge(request, ref)
    track(request, "mcp").caller = caller
    return caller


@router.post(
    "/mcp/{ref}",
    summary="The dataset's MCP server (streamable HTTP, stateless, JSON responses)",
    dependencies=[Depends(_header_credential), Depends(_json_body)],
    responses={
        200: {
            "description": "The JSON-RPC 2.0 answer",
            "content": {"application/json": {"schema": _JSON_RPC_ANSWER}},
        },
        202: {"description": "A notification or a response from the client: no body"},
        401: {"description": "No valid credential (WWW-Authenticate names the metadata)"},
        403: {"description": "Not on the key's allowlist, or a paid dataset not bought"},
        404: {"description": "No such dataset or version"},
        415: {"description": "unsupported_media_type: the body is not application/json"},
        429: {"description": "Rate limit reached"},
    },
)
async def mcp_endpoint(
    ref: Ref,
    request: Request,
    caller: Annotated[Caller, Depends(_mcp_caller)],
    session: SessionDep,
    engine: EngineDep,
    directory: DirectoryDep,
) -> Response:
    call = await service.open_call(
        session,
        request.app.state.db,
        engine,
        caller,
        ref,
        directory,
        request.headers.get("idempotency-key"),
        current_request_id(),
        track(request, "mcp"),
    )
    setattr(request.state, STATE_KEY, call)
    return _HandOff(request.app.state.mcp_sessions.handle_request)


@router.get(
    "/.well-known/oauth-protected-resource/mcp/{ref}",
    summary="OAuth 2.1 protected-resource metadata (RFC 9728) of a dataset's MCP endpoint",
)
async def protected_resource(ref: Ref, request: Request) -> dict[str, Any]:
    # answered for any name, without a lookup: it must not reveal which private datasets exist
    settings: ContentSettings = request.app.state.settings
    return clients.protected_resource(str(request.base_url), ref, settings.auth_jwt_issuer)


@router.get(
    "/api/v1/datasets/{ref}/mcp",
    summary="Ready-to-paste MCP client configuration for a dataset",
    responses={404: {"description": "No such dataset, or one the caller may not see"}},
)
async def client_config(
    ref: Ref,
    request: Request,
    caller: OptionalCallerDep,
    session: SessionDep,
    directory: DirectoryDep,
) -> clients.ClientConfig:
    return await clients.config(session, caller, ref, str(request.base_url), directory)
