"""The vendored all-MiniLM-L6-v2 tokenizer (see assets/NOTICE.md). Each call builds a fresh
``Tokenizer`` because truncation and padding are per-instance state: the embedder pads and
truncates, the chunker's token counter must do neither."""

from __future__ import annotations

from pathlib import Path

from tokenizers import Tokenizer

TOKENIZER_PATH = Path(__file__).parent / "assets" / "minilm-tokenizer.json"


def load_tokenizer(path: Path | str | None = None) -> Tokenizer:
    """A tokenizer with no truncation and no padding (the file presets both at 128)."""
    tokenizer = Tokenizer.from_file(str(path or TOKENIZER_PATH))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer
