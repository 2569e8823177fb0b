"""The HTTP client one FLTR service uses to call another (aiohttp + tenacity).

Every call carries the service credential, the current request id and W3C ``traceparent``, has
a short timeout, and is retried with jittered backoff when that is safe: on connection errors,
and on 502/503/504 for idempotent methods or requests that carry an ``Idempotency-Key``.
Transport errors are translated here, at the boundary, into
:class:`~fltr_shared.errors.UpstreamUnavailable`.

Why aiohttp and not httpx: every paid search makes one internal call, and on these machines
httpx spent ~1.1 ms of CPU per call against ~0.2 ms for aiohttp (same keep-alive POST to the
same server; see ``bench/``), which was a large share of a search's own overhead.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
from dataclasses import dataclass
from typing import Any

import aiohttp
import structlog
from multidict import CIMultiDict, CIMultiDictProxy
from pydantic import SecretStr
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from fltr_shared.errors import UpstreamUnavailable
from fltr_shared.request_id import (
    REQUEST_ID_HEADER,
    TRACEPARENT_HEADER,
    current_request_id,
    current_traceparent,
)

# The service credential travels as `Authorization: Bearer <INTERNAL_SERVICE_TOKEN>` (a pinned
# interface); user credentials, when forwarded, go in the body, never in this header.
SERVICE_TOKEN_HEADER = "Authorization"  # noqa: S105 (a header name)
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRYABLE_STATUS = frozenset({502, 503, 504})
# Below uvicorn's default keep-alive (5 s): a connection idle longer is not reused, so a
# request is never written to a socket the peer is closing at that moment.
KEEPALIVE_SECONDS = 4.0

logger = structlog.get_logger(__name__)

# Errors where the request never reached the peer: always safe to try again.
_NOT_SENT: tuple[type[BaseException], ...] = (
    aiohttp.ClientConnectorError,
    aiohttp.ConnectionTimeoutError,
)
# Any transport failure (the peer may or may not have acted): retried only when safe.
_TRANSPORT: tuple[type[BaseException], ...] = (aiohttp.ClientError, asyncio.TimeoutError)


@dataclass(frozen=True)
class PeerResponse:
    """A peer's answer, read in full (internal answers are small)."""

    status_code: int
    headers: CIMultiDictProxy[str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content)


class _RetryableStatus(Exception):
    def __init__(self, response: PeerResponse) -> None:
        super().__init__(f"status {response.status_code}")
        self.response = response


class InternalClient:
    """A pooled client for one peer service at ``base_url``.

    The aiohttp session is made on first use, inside the event loop that uses it (a client
    may be built before any loop runs: app factories, Celery workers).
    """

    def __init__(
        self,
        base_url: str,
        *,
        peer: str,
        service_token: SecretStr,
        timeout: float = 5.0,
        retries: int = 2,
    ) -> None:
        if retries < 0:
            raise ValueError("retries must be >= 0")
        self.peer = peer
        self.retries = retries
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._headers = {SERVICE_TOKEN_HEADER: f"Bearer {service_token.get_secret_value()}"}
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _client(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            # a session belongs to one loop; one made in a loop that has ended is dropped
            self._session = aiohttp.ClientSession(
                headers=self._headers,
                timeout=_timeout(self._timeout),
                connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
                # answers are JSON we parse ourselves; no cookies between services
                cookie_jar=aiohttp.DummyCookieJar(),
            )
            self._loop = loop
        return self._session

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
        retry: bool = True,
        idempotent: bool | None = None,
    ) -> PeerResponse:
        """Send one request (with retries when safe) and return the peer's response.

        ``idempotent=True`` marks a POST that is safe to repeat (a pure lookup).
        Raises :class:`UpstreamUnavailable` when the peer cannot be reached or keeps failing.
        """
        method = method.upper()
        send_headers = dict(headers or {})
        request_id = current_request_id()
        if request_id:
            send_headers.setdefault(REQUEST_ID_HEADER, request_id)
        traceparent = current_traceparent()
        if traceparent:
            send_headers.setdefault(TRACEPARENT_HEADER, traceparent)
        safe_to_repeat = (
            idempotent
            if idempotent is not None
            else (
                method in IDEMPOTENT_METHODS
                or any(k.lower() == "idempotency-key" for k in send_headers)
            )
        )
        attempts = 1 + (self.retries if retry else 0)
        query = _query(params)
        retry_on: tuple[type[BaseException], ...] = _NOT_SENT
        if safe_to_repeat:
            retry_on = (*_TRANSPORT, _RetryableStatus)
        url = self._base_url + path
        # only when given: aiohttp reads an explicit ``timeout=None`` as "no timeout at all"
        extra: dict[str, Any] = {}
        if timeout is not None:
            extra["timeout"] = _timeout(timeout)
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(attempts),
                wait=wait_exponential_jitter(multiplier=0.05, max=1.0),
                retry=retry_if_exception_type(retry_on),
                reraise=True,
            ):
                with attempt:
                    async with self._client().request(
                        method,
                        url,
                        json=json,
                        params=query,
                        headers=send_headers,
                        **extra,
                    ) as answer:
                        response = PeerResponse(
                            answer.status,
                            CIMultiDictProxy(CIMultiDict(answer.headers)),
                            await answer.read(),
                        )
                    if safe_to_repeat and response.status_code in RETRYABLE_STATUS:
                        raise _RetryableStatus(response)
        except _RetryableStatus as exc:
            return exc.response
        except _TRANSPORT as exc:
            logger.warning(
                "internal_call_failed", peer=self.peer, path=path, error=type(exc).__name__
            )
            raise UpstreamUnavailable(
                f"The {self.peer} service did not answer ({type(exc).__name__})."
            ) from exc
        return response


def _timeout(seconds: float) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=seconds, connect=min(seconds, 2.0))


def _query(params: dict[str, Any] | None) -> list[tuple[str, str]] | None:
    """httpx's conventions, kept for callers: ``None`` values left out, lists repeated, bools
    as ``true``/``false`` (aiohttp refuses anything but str, int and float)."""
    if not params:
        return None
    out: list[tuple[str, str]] = []
    for name, value in params.items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if item is None:
                continue
            out.append((name, str(item).lower() if isinstance(item, bool) else str(item)))
    return out
