"""Build the configured embedder from plain settings (the service maps its settings here)."""

from __future__ import annotations

from typing import Any

from fltr_content.embeddings.base import Embedder
from fltr_content.embeddings.hashing import HashingEmbedder
from fltr_content.embeddings.minilm import MiniLMEmbedder
from fltr_content.embeddings.openai_compatible import OpenAICompatibleEmbedder

PROVIDERS: dict[str, type[Any]] = {
    "minilm": MiniLMEmbedder,
    "openai": OpenAICompatibleEmbedder,
    "hashing": HashingEmbedder,
}


def build_embedder(provider: str, **settings: Any) -> Embedder:
    """``provider`` is ``minilm`` (default model, local), ``openai`` (any OpenAI-compatible
    server) or ``hashing`` (no model; tests). ``settings`` are that class's keyword
    arguments; ``None`` values are dropped so optional settings can be passed through."""
    factory = PROVIDERS.get(provider)
    if factory is None:
        raise ValueError(
            f"Unknown embedding provider {provider!r}; expected one of {sorted(PROVIDERS)}."
        )
    embedder: Embedder = factory(**{k: v for k, v in settings.items() if v is not None})
    return embedder
