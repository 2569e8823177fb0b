"""The least an HTTP client can do per call, for benchmarks whose clients share the cores with
the servers they measure: what a client spends per call is taken from the server. httpx spends
0.7-1.1 ms of CPU a call here and aiohttp about 1 ms a search round trip (both measured in
``bench/credit_deductions.py`` and ``bench/search.py``, which report them beside)."""

from __future__ import annotations

import asyncio
import contextlib


class Connection:
    """One keep-alive HTTP/1.1 connection, one request at a time, responses with a
    Content-Length (what uvicorn sends): the least a client can do per call."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": host, **headers}.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: str = ""
    ) -> tuple[int, bytes]:
        """``headers``: more header lines for this call, each ending in CRLF."""
        length = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        message = (
            f"{method} {path} HTTP/1.1\r\n{self.head}{headers}{length if body else ''}\r\n"
        ).encode() + body
        status_line = b""
        if self.writer is not None:
            self.writer.write(message)
            assert self.reader is not None
            with contextlib.suppress(ConnectionError):
                status_line = await self.reader.readline()
        if not status_line:  # not open yet, or closed while idle (uvicorn's keep-alive timeout)
            await self.close()
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            self.writer.write(message)
            status_line = await self.reader.readline()
        assert self.reader is not None
        size = 0
        while (line := await self.reader.readline()) != b"\r\n":
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                size = int(value)
        return int(status_line.split(b" ", 2)[1]), await self.reader.readexactly(size)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(ConnectionError):
                await self.writer.wait_closed()
            self.reader = self.writer = None
