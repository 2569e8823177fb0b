"""Fetching a document from a URL for ``documents:from-url`` and scheduled URL sources.

Guarded like any server-side fetch of a user's URL: http(s) only, every address the name
resolves to must be public (no loopback, private, link-local or metadata addresses) unless
ALLOW_PRIVATE_URLS is set, redirects are followed by hand so each hop is checked, and the
body is streamed with the upload limit (413 past it).
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import socket
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from fltr_content.documents.upload_stream import ReceivedFile, sanitize_filename
from fltr_shared.errors import BadRequest, PayloadTooLarge, UpstreamUnavailable

MAX_REDIRECTS = 5
TIMEOUT = httpx.Timeout(20.0, connect=5.0)


class UrlRefused(BadRequest):
    default_code = "url_not_allowed"


async def _check_public(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UrlRefused("Only http and https URLs can be fetched.")
    try:
        infos = await asyncio.to_thread(socket.getaddrinfo, parts.hostname, parts.port or 443)
    except OSError:
        raise UrlRefused(f"The host {parts.hostname!r} does not resolve.") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise UrlRefused(f"The host {parts.hostname!r} is not a public address.")


async def fetch_to_file(
    url: str,
    workdir: Path,
    *,
    max_bytes: int,
    allow_private: bool,
    filename: str | None = None,
) -> ReceivedFile:
    target = workdir / "download"
    async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            if not allow_private:
                await _check_public(url)
            try:
                async with client.stream("GET", url) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    if response.status_code >= 400:
                        raise BadRequest(
                            f"The URL answered {response.status_code}.", code="url_fetch_failed"
                        )
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > max_bytes:
                        raise PayloadTooLarge(
                            f"The document is larger than {max_bytes} bytes.", code="file_too_large"
                        )
                    digest, size, head = hashlib.sha256(), 0, bytearray()
                    with target.open("wb") as out:
                        async for piece in response.aiter_bytes():
                            size += len(piece)
                            if size > max_bytes:
                                raise PayloadTooLarge(
                                    f"The document is larger than {max_bytes} bytes.",
                                    code="file_too_large",
                                )
                            if len(head) < 8192:
                                head += piece[: 8192 - len(head)]
                            digest.update(piece)
                            out.write(piece)
            except httpx.HTTPError as exc:
                raise UpstreamUnavailable(f"Fetching the URL failed: {exc}") from exc
            name = filename or urlsplit(url).path.rsplit("/", 1)[-1] or urlsplit(url).hostname
            return ReceivedFile(
                filename=sanitize_filename(name or "download"),
                path=target,
                size=size,
                sha256=digest.hexdigest(),
                head=bytes(head),
            )
    raise BadRequest("The URL redirects too many times.", code="url_fetch_failed")
