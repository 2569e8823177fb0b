"""Any OpenAI-compatible ``POST {base_url}/embeddings`` (OpenAI, Azure-style gateways, vLLM,
Ollama, LiteLLM...). Batches inputs, retries timeouts, connection errors, 429 and 5xx with
exponential backoff and jitter (tenacity), then gives up with ``embedding_unavailable``;
any other error status is ``embedding_failed`` at once. Vectors are L2-normalised here, as
not every server does it. ``httpx.Client`` is thread-safe, so one instance serves all threads.
"""

from __future__ import annotations

import math
from typing import Any

import httpx
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from fltr_content.embeddings.base import EmbeddingFailed, EmbeddingUnavailable

DEFAULT_BATCH_SIZE = 64
DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_MAX_ATTEMPTS = 5


class _Retryable(Exception):
    """A response worth trying again (429 or 5xx)."""


class OpenAICompatibleEmbedder:
    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        dimension: int,
        api_key: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        backoff_initial: float = 0.5,
        backoff_max: float = 20.0,
        send_dimensions: bool = False,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """``send_dimensions`` asks the server for ``dimension`` (text-embedding-3 models
        can shorten); leave it off for servers that reject the field. ``transport`` is for
        tests (``httpx.MockTransport``)."""
        if batch_size < 1 or dimension < 1 or max_attempts < 1:
            raise ValueError("batch_size, dimension and max_attempts must be positive")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=timeout,
            transport=transport,
        )
        self._model = model
        self._dimension = dimension
        self._batch_size = batch_size
        self._send_dimensions = send_dimensions
        self._retrying = Retrying(
            retry=retry_if_exception_type(
                (_Retryable, httpx.TimeoutException, httpx.TransportError)
            ),
            stop=stop_after_attempt(max_attempts),
            wait=wait_exponential_jitter(
                multiplier=backoff_initial, max=backoff_max, jitter=backoff_initial
            ),
        )

    @property
    def name(self) -> str:
        return self._model

    @property
    def dimension(self) -> int:
        return self._dimension

    def close(self) -> None:
        self._client.close()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for begin in range(0, len(texts), self._batch_size):
            vectors.extend(self._embed_batch(texts[begin : begin + self._batch_size]))
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self._embed_batch([text])[0]

    def _embed_batch(self, texts: list[str]) -> list[list[float]]:
        body: dict[str, Any] = {"model": self._model, "input": texts, "encoding_format": "float"}
        if self._send_dimensions:
            body["dimensions"] = self._dimension
        try:
            # a fresh copy per call: Retrying keeps per-run statistics on the instance
            response = self._retrying.copy()(self._post, body)
        except RetryError as exc:
            cause = exc.last_attempt.exception()
            raise EmbeddingUnavailable(
                f"The embedding provider failed {exc.last_attempt.attempt_number} times; "
                f"last: {_describe(cause)}."
            ) from cause
        return self._vectors(response, len(texts))

    def _post(self, body: dict[str, Any]) -> httpx.Response:
        response = self._client.post("/embeddings", json=body)
        if response.status_code == 429 or response.status_code >= 500:
            raise _Retryable(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise EmbeddingFailed(
                f"The embedding provider answered HTTP {response.status_code}: "
                f"{response.text[:300]}"
            )
        return response

    def _vectors(self, response: httpx.Response, expected: int) -> list[list[float]]:
        try:
            items = sorted(response.json()["data"], key=lambda item: item["index"])
            vectors = [[float(x) for x in item["embedding"]] for item in items]
        except (ValueError, KeyError, TypeError) as exc:
            raise EmbeddingFailed("The embedding provider's answer is not understood.") from exc
        if len(vectors) != expected:
            raise EmbeddingFailed(f"Expected {expected} vectors, got {len(vectors)}.")
        for vector in vectors:
            if len(vector) != self._dimension:
                raise EmbeddingFailed(
                    f"Expected {self._dimension} dimensions, got {len(vector)}; check the "
                    "model and dimension settings."
                )
        return [_normalise(vector) for vector in vectors]


def _normalise(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm else vector


def _describe(error: BaseException | None) -> str:
    if error is None:
        return "no answer"
    return str(error) or type(error).__name__
