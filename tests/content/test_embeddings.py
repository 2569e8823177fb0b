"""Embedders: the real MiniLM model (paraphrases closer than unrelated pairs, unit vectors,
384-d, order kept across batches, one instance shared by threads), the feature-hashing
fallback, and the OpenAI-compatible client against a fake server at the HTTP layer (retries
on 429/5xx/timeouts, not on 4xx; batches; bearer key)."""

from __future__ import annotations

import json
import math
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from fltr_content.embeddings.base import Embedder, EmbeddingFailed, EmbeddingUnavailable
from fltr_content.embeddings.factory import build_embedder
from fltr_content.embeddings.hashing import HashingEmbedder
from fltr_content.embeddings.minilm import MiniLMEmbedder
from fltr_content.embeddings.openai_compatible import OpenAICompatibleEmbedder

pytestmark = pytest.mark.core

PARAPHRASES = [
    ("A man is playing a guitar.", "Someone is strumming an acoustic guitar."),
    ("How do I reset my password?", "I forgot my password and need to change it."),
    ("The cat sleeps on the sofa.", "A kitten is napping on the couch."),
]
UNRELATED = [
    ("A man is playing a guitar.", "Interest rates rose by half a percent this quarter."),
    ("How do I reset my password?", "Penguins live mostly in the Southern Hemisphere."),
    ("The cat sleeps on the sofa.", "The compiler reported a syntax error on line 12."),
]


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedder:
    embedder = MiniLMEmbedder(intra_op_threads=1)
    embedder.load()
    return embedder


def test_minilm_separates_paraphrases_from_unrelated_pairs(minilm: MiniLMEmbedder) -> None:
    assert isinstance(minilm, Embedder)
    assert (minilm.name, minilm.dimension) == ("all-MiniLM-L6-v2-int8", 384)
    close = [cosine(*minilm.embed_documents([a, b])) for a, b in PARAPHRASES]
    far = [cosine(*minilm.embed_documents([a, b])) for a, b in UNRELATED]
    assert min(close) > 0.45
    assert max(far) < 0.2
    assert min(close) - max(far) > 0.3


def test_minilm_vectors_are_unit_length_and_order_is_kept(minilm: MiniLMEmbedder) -> None:
    texts = [f"Sentence number {i} " + "word " * (i % 7) * 10 for i in range(70)]
    vectors = minilm.embed_documents(texts)
    assert len(vectors) == 70
    for vector in vectors:
        assert len(vector) == 384
        assert math.isclose(math.sqrt(sum(x * x for x in vector)), 1.0, rel_tol=1e-4)
    # batching and length-sorting must not reorder: each matches its own single embedding
    for index in (0, 33, 69):
        assert cosine(vectors[index], minilm.embed_query(texts[index])) > 0.999
    assert minilm.embed_documents([]) == []


def test_minilm_truncates_long_text(minilm: MiniLMEmbedder) -> None:
    long = "The quick brown fox jumps over the lazy dog. " * 200
    assert cosine(minilm.embed_query(long), minilm.embed_query(long + " extra words")) > 0.999


def test_minilm_loads_once_under_concurrency() -> None:
    embedder = MiniLMEmbedder(intra_op_threads=1)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(embedder.embed_query, ["same text"] * 8))
    for vector in results[1:]:
        assert cosine(vector, results[0]) > 0.9999


def test_hashing_embedder_is_deterministic_and_lexical() -> None:
    embedder = HashingEmbedder()
    assert isinstance(embedder, Embedder)
    assert embedder.dimension == 384
    a, b, c = embedder.embed_documents(
        ["solar panels convert sunlight", "solar panels convert sunlight", "chess knights move"]
    )
    assert a == b
    assert math.isclose(math.sqrt(sum(x * x for x in a)), 1.0, rel_tol=1e-9)
    near = embedder.embed_query("how do solar panels work")
    assert cosine(near, a) > cosine(near, c)
    empty = embedder.embed_query("")
    assert math.isclose(sum(x * x for x in empty), 1.0)
    assert HashingEmbedder(dimension=64).embed_query("x") != embedder.embed_query("x")[:64]


def test_build_embedder() -> None:
    assert isinstance(build_embedder("hashing"), HashingEmbedder)
    assert build_embedder("hashing", dimension=128).dimension == 128
    minilm = build_embedder("minilm", intra_op_threads=None, batch_size=8)
    assert isinstance(minilm, MiniLMEmbedder)
    remote = build_embedder("openai", base_url="http://x/v1", model="m", dimension=8, api_key=None)
    assert isinstance(remote, OpenAICompatibleEmbedder)
    with pytest.raises(ValueError, match="Unknown embedding provider"):
        build_embedder("word2vec")
    with pytest.raises(TypeError):
        build_embedder("hashing", model="nope")


class FakeServer:
    """An OpenAI-compatible /embeddings that fails with ``failures`` first."""

    def __init__(self, failures: list[int | type[Exception]] | None = None, dim: int = 3):
        self.failures = list(failures or [])
        self.requests: list[httpx.Request] = []
        self.dim = dim

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.failures:
            failure = self.failures.pop(0)
            if isinstance(failure, int):
                return httpx.Response(failure, json={"error": {"message": "nope"}})
            raise failure("simulated", request=request)  # type: ignore[call-arg]
        body = json.loads(request.content)
        data = [
            {
                "index": i,
                "embedding": [float(len(text)), 1.0, 0.0][: self.dim] + [0.0] * (self.dim - 3),
            }
            for i, text in enumerate(body["input"])
        ]
        data.reverse()  # servers may answer out of order; "index" is what counts
        return httpx.Response(200, json={"object": "list", "data": data, "model": body["model"]})


def remote(server: FakeServer, **kwargs: object) -> OpenAICompatibleEmbedder:
    options: dict[str, object] = {
        "base_url": "https://api.example.com/v1/",
        "model": "text-embedding-3-small",
        "dimension": 3,
        "api_key": "sk-test",
        "backoff_initial": 0.001,
        "backoff_max": 0.002,
        "transport": httpx.MockTransport(server),
    }
    options.update(kwargs)
    return OpenAICompatibleEmbedder(**options)  # type: ignore[arg-type]


def test_remote_batches_orders_and_normalises() -> None:
    server = FakeServer()
    embedder = remote(server, batch_size=2)
    vectors = embedder.embed_documents(["a", "bbb", "cc", "dddd", "e"])
    assert len(server.requests) == 3
    request = server.requests[0]
    assert str(request.url) == "https://api.example.com/v1/embeddings"
    assert request.headers["Authorization"] == "Bearer sk-test"
    assert json.loads(request.content) == {
        "model": "text-embedding-3-small",
        "input": ["a", "bbb"],
        "encoding_format": "float",
    }
    expected = [[n / math.sqrt(n * n + 1), 1 / math.sqrt(n * n + 1), 0.0] for n in (1, 3, 2, 4, 1)]
    for vector, want in zip(vectors, expected, strict=True):
        assert vector == pytest.approx(want)
    assert embedder.name == "text-embedding-3-small"
    assert embedder.embed_query("cc") == pytest.approx(expected[2])


def test_remote_retries_rate_limits_server_errors_and_timeouts() -> None:
    server = FakeServer([429, 503, httpx.ReadTimeout, httpx.ConnectError])
    assert remote(server).embed_query("hello")
    assert len(server.requests) == 5


def test_remote_gives_up_after_max_attempts() -> None:
    server = FakeServer([500] * 10)
    with pytest.raises(EmbeddingUnavailable) as caught:
        remote(server, max_attempts=3).embed_query("hello")
    assert len(server.requests) == 3
    assert caught.value.code == "embedding_unavailable"
    assert caught.value.status_code == 503
    assert "HTTP 500" in caught.value.detail


def test_remote_does_not_retry_client_errors() -> None:
    server = FakeServer([401])
    with pytest.raises(EmbeddingFailed, match="401") as caught:
        remote(server).embed_query("hello")
    assert len(server.requests) == 1
    assert caught.value.code == "embedding_failed"


def test_remote_checks_the_dimension() -> None:
    with pytest.raises(EmbeddingFailed, match="dimensions"):
        remote(FakeServer(dim=5)).embed_query("hello")


def test_remote_can_ask_for_a_dimension_and_works_without_a_key() -> None:
    server = FakeServer()
    remote(server, api_key=None, send_dimensions=True).embed_query("x")
    assert "Authorization" not in server.requests[0].headers
    assert json.loads(server.requests[0].content)["dimensions"] == 3
