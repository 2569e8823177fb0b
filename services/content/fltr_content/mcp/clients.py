"""What MCP clients need to find and use a dataset's endpoint: RFC 9728 protected-resource
metadata (pointing at the auth service) and configuration snippets for common clients.

Claude.ai / Claude Desktop connectors take only authless or OAuth servers; Cursor, Claude
Code, VS Code and the SDKs send static headers, so an ``fltr_`` API key works there.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content.callers.resolver import Caller
from fltr_content.datasets import service as datasets
from fltr_content.datasets.directory import OwnerDirectory
from fltr_content.versions import service as versions

KEY_PLACEHOLDER = "fltr_YOUR_API_KEY"


def endpoint_url(base_url: str, ref: str) -> str:
    return f"{base_url.rstrip('/')}/mcp/{quote(ref, safe='@')}"


def resource_metadata_url(base_url: str, ref: str) -> str:
    # percent-encoded: the URL goes into a header, where only latin-1 can travel
    return f"{base_url.rstrip('/')}/.well-known/oauth-protected-resource/mcp/{quote(ref, safe='@')}"


def protected_resource(base_url: str, ref: str, authorization_server: str) -> dict[str, Any]:
    return {
        "resource": endpoint_url(base_url, ref),
        "authorization_servers": [authorization_server],
        "bearer_methods_supported": ["header"],
        "scopes_supported": ["read"],
        "resource_documentation": f"{base_url.rstrip('/')}/docs",
    }


class ClientConfig(BaseModel):
    name: str = Field(description="A server name for the client's configuration.")
    url: str
    headers: dict[str, str]
    clients: dict[str, Any] = Field(
        description="Per client: the JSON to paste, or the command to run."
    )


def _server_name(slug: str, label: str | None) -> str:
    name = f"fltr-{slug}"
    return f"{name}-{label}".replace(".", "-") if label else name


async def config(
    session: AsyncSession,
    caller: Caller | None,
    ref: str,
    base_url: str,
    directory: OwnerDirectory | None,
) -> ClientConfig:
    slug, label = versions.split_ref(ref)
    dataset = await datasets.readable(session, caller, slug, directory)
    if label is not None:
        await versions.for_read(session, dataset, label)  # 404 for an unknown version
    pinned = f"{dataset.slug}@{label}" if label else dataset.slug
    url = endpoint_url(base_url, pinned)
    headers = {"Authorization": f"Bearer {KEY_PLACEHOLDER}"}
    name = _server_name(dataset.slug, label)
    entry = {"url": url, "headers": headers}
    return ClientConfig(
        name=name,
        url=url,
        headers=headers,
        clients={
            "cursor": {"mcpServers": {name: entry}},
            "claude_code": (
                f"claude mcp add --transport http {name} {url} "
                f'--header "Authorization: Bearer {KEY_PLACEHOLDER}"'
            ),
            "vscode": {"servers": {name: {"type": "http", **entry}}},
            "windsurf": {"mcpServers": {name: {"serverUrl": url, "headers": headers}}},
            "python": (
                "from mcp.client.streamable_http import streamable_http_client\n"
                f'# streamable_http_client("{url}", http_client=httpx.AsyncClient('
                f'headers={{"Authorization": "Bearer {KEY_PLACEHOLDER}"}}))'
            ),
        },
    )
