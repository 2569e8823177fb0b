"""Signed feature hashing: a deterministic 384-d embedder with no model (word 1-2-grams and
character 3-grams, ``zlib.crc32``, log term frequency, L2). Lexical only (top-1 4/8 against
MiniLM's 8/8 on the paraphrase set), ~400 chunks/s: for tests and as a last-resort fallback.
"""

from __future__ import annotations

import itertools
import math
import re
import zlib
from collections import Counter

DEFAULT_DIMENSION = 384
_WORDS = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    def __init__(self, dimension: int = DEFAULT_DIMENSION) -> None:
        if dimension < 2:
            raise ValueError("dimension must be at least 2")
        self._dimension = dimension

    @property
    def name(self) -> str:
        return f"feature-hashing-{self._dimension}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._embed(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._embed(text)

    def _embed(self, text: str) -> list[float]:
        words = _WORDS.findall(text.lower())
        features: Counter[str] = Counter(f"w:{word}" for word in words)
        features.update(f"b:{a} {b}" for a, b in itertools.pairwise(words))
        for word in words:
            padded = f" {word} "
            features.update(f"c:{padded[i : i + 3]}" for i in range(len(padded) - 2))
        vector = [0.0] * self._dimension
        for feature, count in features.items():
            digest = zlib.crc32(feature.encode("utf-8"))
            sign = 1.0 if digest & 0x80000000 else -1.0
            vector[digest % self._dimension] += sign * (1.0 + math.log(count))
        norm = math.sqrt(sum(value * value for value in vector))
        if norm == 0.0:
            # no words: a fixed unit vector, because cosine of a zero vector is undefined
            vector[0] = 1.0
            return vector
        return [value / norm for value in vector]
