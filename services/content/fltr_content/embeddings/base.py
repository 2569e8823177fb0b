"""What the pipeline and search need from an embedding model. Implementations are sync
(ONNX Runtime and httpx release the GIL); async callers run them in a thread."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from fltr_shared.errors import AppError, UpstreamUnavailable


@runtime_checkable
class Embedder(Protocol):
    @property
    def name(self) -> str:
        """Stable model identifier, stored with each dataset (re-embed when it changes)."""
        ...

    @property
    def dimension(self) -> int: ...

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One unit-length vector per text, in order."""
        ...

    def embed_query(self, text: str) -> list[float]: ...


class EmbeddingFailed(AppError):
    """The provider answered, but not with usable vectors (bad key, bad model, bad shape)."""

    status_code = 502
    default_code = "embedding_failed"
    default_detail = "The embedding provider rejected the request."


class EmbeddingUnavailable(UpstreamUnavailable):
    """The provider did not answer usefully after the retries (timeouts, 429, 5xx)."""

    default_code = "embedding_unavailable"
    default_detail = "The embedding provider is unavailable; try again later."
