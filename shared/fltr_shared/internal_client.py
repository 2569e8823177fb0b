"""The HTTP client one FLTR service uses to call another (httpx + tenacity).

Every call carries the service credential, the current request id and W3C ``traceparent``, has
a short timeout, and is retried with jittered backoff when that is safe: on connection errors,
and on 502/503/504 for idempotent methods or requests that carry an ``Idempotency-Key``. httpx
errors are translated here, at the boundary, into :class:`~fltr_shared.errors.UpstreamUnavailable`.
"""

from __future__ import annotations

from typing import Any

import httpx
import structlog
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

logger = structlog.get_logger(__name__)


class _RetryableStatus(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"status {response.status_code}")
        self.response = response


class InternalClient:
    """A pooled client for one peer service at ``base_url``."""

    def __init__(
        self,
        base_url: str,
        *,
        peer: str,
        service_token: SecretStr,
        timeout: float = 5.0,
        retries: int = 2,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if retries < 0:
            raise ValueError("retries must be >= 0")
        self.peer = peer
        self.retries = retries
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 2.0)),
            headers={SERVICE_TOKEN_HEADER: f"Bearer {service_token.get_secret_value()}"},
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

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
    ) -> httpx.Response:
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
        extra: dict[str, Any] = {}
        if timeout is not None:
            extra["timeout"] = httpx.Timeout(timeout, connect=min(timeout, 2.0))

        retry_on: tuple[type[BaseException], ...] = (httpx.ConnectError, httpx.ConnectTimeout)
        if safe_to_repeat:
            retry_on = (httpx.TransportError, _RetryableStatus)
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(attempts),
                wait=wait_exponential_jitter(multiplier=0.05, max=1.0),
                retry=retry_if_exception_type(retry_on),
                reraise=True,
            ):
                with attempt:
                    response = await self._client.request(
                        method, path, json=json, params=params, headers=send_headers, **extra
                    )
                    if safe_to_repeat and response.status_code in RETRYABLE_STATUS:
                        raise _RetryableStatus(response)
        except _RetryableStatus as exc:
            return exc.response
        except httpx.TransportError as exc:
            logger.warning(
                "internal_call_failed", peer=self.peer, path=path, error=type(exc).__name__
            )
            raise UpstreamUnavailable(
                f"The {self.peer} service did not answer ({type(exc).__name__})."
            ) from exc
        return response
