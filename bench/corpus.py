"""Made-up text for the benchmarks: deterministic per seed, words a tokenizer and BM25 both
see as ordinary vocabulary."""

from __future__ import annotations

import random

WORDS = [
    "river",
    "mountain",
    "tariff",
    "protein",
    "enzyme",
    "contract",
    "clause",
    "verdict",
    "latitude",
    "harbor",
    "solar",
    "battery",
    "voltage",
    "ledger",
    "invoice",
    "orbit",
    "glacier",
    "lattice",
    "genome",
    "vaccine",
    "statute",
    "appeal",
]


def sentence(seed: int, words: int) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(words))


def paragraphs(seed: int, count: int, words: int = 120) -> list[str]:
    return [sentence(seed * 1000 + n, words) for n in range(count)]
