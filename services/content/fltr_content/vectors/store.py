"""Owns the one Milvus client of the process; pymilvus is blocking, so calls run in threads."""

from __future__ import annotations

import asyncio
import warnings
from pathlib import Path
from typing import Any

import structlog
from pydantic import SecretStr

logger = structlog.get_logger(__name__)


class VectorStore:
    def __init__(
        self, uri: str, token: SecretStr | None = None, connect_timeout: float = 5.0
    ) -> None:
        self.uri = uri
        self._token = token
        self._connect_timeout = connect_timeout
        self._client: Any = None
        self._lock = asyncio.Lock()

    def _connect(self) -> Any:
        with warnings.catch_warnings():
            # milvus-lite 2.5.1 (pinned, see pyproject) imports the deprecated pkg_resources
            warnings.filterwarnings("ignore", "pkg_resources is deprecated", UserWarning)
            from pymilvus import MilvusClient

        if self.uri.endswith(".db"):
            Path(self.uri).parent.mkdir(parents=True, exist_ok=True)
        token = self._token.get_secret_value() if self._token else ""
        return MilvusClient(uri=self.uri, token=token, timeout=self._connect_timeout)

    async def client(self) -> Any:
        """The connected client, connecting first if needed (a server may come up later)."""
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    self._client = await asyncio.to_thread(self._connect)
        return self._client

    @property
    def connected(self) -> Any:
        """The client if it is connected already, else None (without connecting)."""
        return self._client

    async def open(self) -> None:
        """Connect at start-up; a Milvus that is down is reported by /health, not fatal."""
        try:
            await self.client()
        except Exception as exc:
            logger.warning("milvus_unavailable_at_startup", uri=self.uri, error=str(exc))

    async def ping(self, timeout: float) -> None:
        client = await self.client()
        await asyncio.to_thread(client.list_collections, timeout=timeout)

    async def close(self) -> None:
        if self._client is None:
            return
        client, self._client = self._client, None
        await asyncio.to_thread(client.close)
        if self.uri.endswith(".db"):
            # pymilvus leaves the embedded server running until interpreter exit; stop it
            # now so its data is flushed and the file is free for the next process.
            from milvus_lite.server_manager import server_manager_instance

            await asyncio.to_thread(server_manager_instance.release_server, self.uri)
