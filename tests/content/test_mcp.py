"""The MCP endpoint per dataset, served over real HTTP and used by the official Python client
(``mcp`` 2.x, both the 2026-07-28 discover flow and the initialize handshake) and by raw
2025-06-18 requests: tools, the same hits as REST, billing, errors, auth, metadata."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import httpx2
import pytest
from fastapi import FastAPI
from mcp.client.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from sqlalchemy import select

from fltr_content.settings import ContentSettings
from fltr_content.usage.models import ApiUsage
from tests.content.search_support import (
    DATASETS,
    Indexed,
    api_key,
    balance,
    bearer,
    create_dataset,
    funded,
    index,
    quiet_app,
    rolled_back_client,
    search,
)
from tests.support import serve_in_loop

pytestmark = pytest.mark.core


@pytest.fixture(scope="module")
async def content_app(
    content_settings: ContentSettings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    async with quiet_app(content_settings, tmp_path_factory.mktemp("mcp")) as app:
        yield app


@pytest.fixture
async def content_client(content_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with rolled_back_client(content_app) as client:
        yield client


@pytest.fixture
async def base_url(content_app: FastAPI, content_client: httpx.AsyncClient) -> AsyncIterator[str]:
    async with serve_in_loop(content_app) as url:
        yield url


@asynccontextmanager
async def mcp_client(url: str, key: str, mode: str = "auto") -> AsyncIterator[Client]:
    http = httpx2.AsyncClient(headers=bearer(key), timeout=30)
    async with http, Client(streamable_http_client(url, http_client=http), mode=mode) as client:
        yield client


async def setup(
    auth_client: httpx.AsyncClient,
    content_client: httpx.AsyncClient,
    content_app: FastAPI,
    **kw: Any,
) -> tuple[Indexed, str, Any]:
    owner = await funded(auth_client, kw.pop("credits", 50))
    indexed = await index(content_app, await create_dataset(content_client, owner, **kw))
    return indexed, await api_key(auth_client, owner), owner


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_python_client_lists_tools_and_gets_the_rest_hits(
    auth_client: httpx.AsyncClient,
    content_client: httpx.AsyncClient,
    content_app: FastAPI,
    base_url: str,
    mode: str,
) -> None:
    indexed, key, owner = await setup(auth_client, content_client, content_app)
    query = "which bird migrates the farthest"
    async with mcp_client(f"{base_url}/mcp/{indexed.slug}", key, mode) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert set(tools) == {"search", "get_chunk", "list_documents", "fetch_document"}
        assert indexed.dataset["name"] in (tools["search"].description or "")
        assert tools["search"].output_schema is not None
        result = await client.call_tool("search", {"query": query, "top_k": 5})
    assert not result.is_error, result
    structured = result.structured_content
    assert structured is not None
    assert json.loads(result.content[0].text) == structured  # type: ignore[union-attr]

    rest = await search(content_client, indexed.slug, bearer(key), query=query, top_k=5)
    assert rest.status_code == 200, rest.text
    mcp_hits = [(h["chunk_id"], round(h["score"], 5)) for h in structured["results"]]
    rest_hits = [(h["chunk_id"], round(h["score"], 5)) for h in rest.json()["results"]]
    assert mcp_hits == rest_hits
    assert structured["results"][0]["document_id"] == indexed.documents["birds"]
    assert await balance(auth_client, owner) == 48  # one MCP search, one REST search


async def test_context_tools(
    auth_client: httpx.AsyncClient,
    content_client: httpx.AsyncClient,
    content_app: FastAPI,
    base_url: str,
) -> None:
    indexed, key, owner = await setup(auth_client, content_client, content_app)
    birds = indexed.documents["birds"]
    async with mcp_client(f"{base_url}/mcp/{indexed.slug}", key) as client:
        listed = await client.call_tool("list_documents", {"limit": 2})
        document = await client.call_tool("fetch_document", {"document_id": birds})
        chunk = await client.call_tool("get_chunk", {"chunk_id": f"{birds}-000001"})
        missing = await client.call_tool("fetch_document", {"document_id": "nope"})
        bad = await client.call_tool("search", {"query": "", "top_k": 0})
        templates = await client.list_resource_templates()
        resource = await client.read_resource(f"fltr://documents/{birds}")
        with pytest.raises(MCPError):
            await client.read_resource("fltr://documents/nope")
    assert [t.uri_template for t in templates.resource_templates] == [
        "fltr://documents/{document_id}"
    ]
    assert resource.contents[0].text.startswith("Arctic terns migrate")  # type: ignore[union-attr]
    assert listed.structured_content is not None
    assert listed.structured_content["total"] == 3
    assert len(listed.structured_content["documents"]) == 2
    assert document.structured_content is not None
    assert document.structured_content["text"].startswith("Arctic terns migrate")
    assert document.structured_content["chunks"] == 3
    assert document.structured_content["truncated"] is False
    assert chunk.structured_content is not None
    assert [c["chunk_index"] for c in chunk.structured_content["before"]] == [0]
    assert missing.is_error
    assert "document_not_found" in missing.content[0].text  # type: ignore[union-attr]
    assert bad.is_error
    assert await balance(auth_client, owner) == 50  # only search is charged


async def test_no_credits_is_an_error_result(
    auth_client: httpx.AsyncClient,
    content_client: httpx.AsyncClient,
    content_app: FastAPI,
    base_url: str,
) -> None:
    indexed, key, _ = await setup(auth_client, content_client, content_app, credits=0)
    async with mcp_client(f"{base_url}/mcp/{indexed.slug}", key) as client:
        result = await client.call_tool("search", {"query": "terns"})
    assert result.is_error
    assert "insufficient_credits" in result.content[0].text  # type: ignore[union-attr]


def _rpc(method: str, params: dict[str, Any], id_: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": id_, "method": method, "params": params}


JSON_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


async def test_2025_06_18_clients_and_http_errors(
    auth_client: httpx.AsyncClient,
    content_client: httpx.AsyncClient,
    content_app: FastAPI,
    base_url: str,
) -> None:
    indexed, key, owner = await setup(auth_client, content_client, content_app)
    private = await create_dataset(content_client, owner, visibility="private")
    url = f"{base_url}/mcp/{indexed.slug}"
    init = _rpc(
        "initialize",
        {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "raw", "version": "1"},
        },
    )
    async with httpx.AsyncClient(timeout=30) as http:
        headers = {**JSON_HEADERS, **bearer(key)}
        answer = await http.post(url, json=init, headers=headers)
        assert answer.status_code == 200, answer.text
        result = answer.json()["result"]
        assert result["protocolVersion"] == "2025-06-18"
        assert indexed.dataset["name"] in result["instructions"]
        call = _rpc("tools/call", {"name": "search", "arguments": {"query": "solar"}}, 2)
        versioned = {**headers, "MCP-Protocol-Version": "2025-06-18"}
        searched = await http.post(url, json=call, headers=versioned)
        assert searched.status_code == 200, searched.text
        hits = searched.json()["result"]["structuredContent"]["results"]
        assert hits[0]["document_id"] == indexed.documents["energy"]
        assert "ratelimit-limit" in searched.headers

        no_key = await http.post(url, json=init, headers=JSON_HEADERS)
        assert no_key.status_code == 401
        challenge = no_key.headers["www-authenticate"]
        assert challenge.startswith("Bearer resource_metadata=")
        assert f"/.well-known/oauth-protected-resource/mcp/{indexed.slug}" in challenge
        bad_key = await http.post(
            url, json=init, headers={**JSON_HEADERS, **bearer("fltr_" + "x" * 43)}
        )
        assert bad_key.status_code == 401
        assert "www-authenticate" in bad_key.headers
        cookie_only = await http.post(
            url,
            json=init,
            headers={**JSON_HEADERS, "Cookie": f"better-auth.session_token={owner.cookie}"},
        )
        assert cookie_only.status_code == 401
        unknown = await http.post(f"{base_url}/mcp/no-such-dataset", json=init, headers=headers)
        assert unknown.status_code == 404
        assert (
            await http.post(f"{base_url}/mcp/{private['slug']}", json=init, headers=headers)
        ).status_code == 200

        stranger = await funded(auth_client)
        allowlisted = await api_key(auth_client, stranger, datasets=[private["slug"]])
        refused = await http.post(url, json=init, headers={**JSON_HEADERS, **bearer(allowlisted)})
        assert refused.status_code == 403
        hidden = await http.post(
            f"{base_url}/mcp/{private['slug']}",
            json=init,
            headers={**JSON_HEADERS, **bearer(allowlisted)},
        )
        assert hidden.status_code == 404

        assert (await http.get(url, headers=headers)).status_code == 405
        assert (await http.delete(url, headers=headers)).status_code == 405

        jwt = (await auth_client.get("/api/auth/token", headers=owner.bearer)).json()["token"]
        with_jwt = await http.post(url, json=call, headers={**versioned, **bearer(jwt)})
        assert with_jwt.status_code == 200, with_jwt.text
        assert with_jwt.json()["result"]["structuredContent"]["results"]


async def test_protected_resource_metadata_and_client_config(
    auth_client: httpx.AsyncClient, content_client: httpx.AsyncClient, content_app: FastAPI
) -> None:
    indexed, _, owner = await setup(auth_client, content_client, content_app)
    metadata = await content_client.get(f"/.well-known/oauth-protected-resource/mcp/{indexed.slug}")
    assert metadata.status_code == 200
    body = metadata.json()
    assert body["resource"] == f"http://content.test/mcp/{indexed.slug}"
    assert body["authorization_servers"] == ["http://auth.test"]
    assert body["bearer_methods_supported"] == ["header"]

    config = await content_client.get(f"{DATASETS}/{indexed.slug}/mcp")
    assert config.status_code == 200, config.text
    cfg = config.json()
    assert cfg["url"] == f"http://content.test/mcp/{indexed.slug}"
    assert cfg["headers"]["Authorization"].startswith("Bearer fltr_")
    assert cfg["clients"]["cursor"]["mcpServers"][cfg["name"]]["url"] == cfg["url"]
    assert cfg["url"] in cfg["clients"]["claude_code"]
    private = await create_dataset(content_client, owner, visibility="private")
    assert (await content_client.get(f"{DATASETS}/{private['slug']}/mcp")).status_code == 404
    pinned = await content_client.get(f"{DATASETS}/{indexed.slug}@9.9.9/mcp")
    assert pinned.status_code == 404


async def test_mcp_calls_write_usage_rows(
    auth_client: httpx.AsyncClient,
    content_client: httpx.AsyncClient,
    content_app: FastAPI,
    base_url: str,
) -> None:
    indexed, key, owner = await setup(auth_client, content_client, content_app)
    async with mcp_client(f"{base_url}/mcp/{indexed.slug}", key, "legacy") as client:
        await client.call_tool("search", {"query": "chess"})
    await content_app.state.usage.flush()
    async with content_app.state.db.transaction() as session:
        rows = (
            await session.scalars(select(ApiUsage).where(ApiUsage.user_id == owner.user["id"]))
        ).all()
    endpoints = {row.endpoint for row in rows}
    assert "mcp:tools/call:search" in endpoints
    assert "mcp:initialize" in endpoints
    searched = next(row for row in rows if row.endpoint == "mcp:tools/call:search")
    assert searched.credits == 1
    assert searched.dataset_id == indexed.id
    assert searched.status_code == 200
    assert searched.api_key_id is not None
    assert searched.tokens_used is not None
    assert searched.tokens_used > 0


async def test_a_pinned_endpoint_keeps_the_old_answers(
    auth_client: httpx.AsyncClient,
    content_client: httpx.AsyncClient,
    content_app: FastAPI,
    base_url: str,
) -> None:
    owner = await funded(auth_client, 10)
    dataset = await create_dataset(content_client, owner)
    await index(content_app, dataset, {"v1": ["The old answer is forty-two. "]})
    published = await content_client.post(
        f"{DATASETS}/{dataset['slug']}/versions", json={"version": "1.0.0"}, headers=owner.bearer
    )
    assert published.status_code in (201, 202), published.text
    await index(content_app, dataset, {"v2": ["The new answer is forty-three. "]})
    key = await api_key(auth_client, owner)
    texts = {}
    for ref in (f"{dataset['slug']}@1.0.0", f"{dataset['slug']}@draft"):
        async with mcp_client(f"{base_url}/mcp/{ref}", key) as client:
            result = await client.call_tool("search", {"query": "the answer", "top_k": 10})
        assert result.structured_content is not None, result
        texts[ref] = {hit["text"] for hit in result.structured_content["results"]}
    assert texts[f"{dataset['slug']}@1.0.0"] == {"The old answer is forty-two. "}
    assert texts[f"{dataset['slug']}@draft"] == {
        "The old answer is forty-two. ",
        "The new answer is forty-three. ",
    }
