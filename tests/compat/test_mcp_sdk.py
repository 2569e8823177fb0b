"""The official MCP TypeScript SDK (``@modelcontextprotocol/sdk`` 1.32, from npm, pinned in
``node/package-lock.json``) connects to a dataset's MCP endpoint with an API key, lists the
tools, calls ``search`` and gets the same hits as the REST search."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from fltr_content.settings import ContentSettings
from tests.compat.better_auth import NODE_DIR, ensure_installed
from tests.content.search_support import (
    api_key,
    bearer,
    create_dataset,
    funded,
    index,
    quiet_app,
    rolled_back_client,
    search,
)
from tests.support import serve_in_loop

pytestmark = pytest.mark.compat


@pytest.fixture(scope="module")
async def content_app(
    content_settings: ContentSettings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    async with quiet_app(content_settings, tmp_path_factory.mktemp("mcp-ts")) as app:
        yield app


def run_client(url: str, key: str, arguments: dict[str, Any]) -> dict[str, Any]:
    ensure_installed()
    proc = subprocess.run(
        ["node", "mcp-client.mjs", json.dumps(arguments)],
        cwd=NODE_DIR,
        env={**os.environ, "MCP_URL": url, "MCP_KEY": key},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


async def test_typescript_sdk_gets_the_rest_hits(
    auth_client: httpx.AsyncClient, content_app: FastAPI
) -> None:
    async with rolled_back_client(content_app) as client, serve_in_loop(content_app) as base:
        owner = await funded(auth_client, 10)
        indexed = await index(content_app, await create_dataset(client, owner))
        key = await api_key(auth_client, owner)
        arguments = {"query": "how do solar panels work", "top_k": 4}
        answer = await asyncio.to_thread(run_client, f"{base}/mcp/{indexed.slug}", key, arguments)
        rest = await search(client, indexed.slug, bearer(key), **arguments)
    assert answer["protocolVersion"] == "2025-11-25"
    assert indexed.dataset["name"] in answer["instructions"]
    assert {t["name"] for t in answer["tools"]} == {
        "search",
        "get_chunk",
        "list_documents",
        "fetch_document",
    }
    assert all(t["hasOutputSchema"] for t in answer["tools"])
    result = answer["search"]
    assert not result.get("isError")
    structured = result["structuredContent"]
    assert json.loads(result["content"][0]["text"]) == structured
    assert [h["chunk_id"] for h in structured["results"]] == [
        h["chunk_id"] for h in rest.json()["results"]
    ]
    assert structured["results"][0]["document_id"] == indexed.documents["energy"]
