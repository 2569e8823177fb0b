"""Domain metrics (jobs, the credit ledger, Milvus), next to the per-app HTTP metrics.

They live in one process-wide registry because the code that moves them (a job runner, a
ChunkStore, a router dependency) has no handle on the app; ``/metrics`` renders this registry
after the app's own. Labels are small closed sets (job kind and state, ledger operation and
outcome, Milvus client method), never ids. Each process counts for itself: Prometheus scrapes
every pod (and sums), so several uvicorn workers behind one port each report only their own
share -- run one worker per pod when metrics matter, or scale pods instead of workers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest

REGISTRY = CollectorRegistry()

_JOB_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)
_MILVUS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)

JOBS = Counter(
    "fltr_jobs",
    "Background job runs, by kind and the state the run left the job in.",
    ["kind", "state"],
    registry=REGISTRY,
)
JOB_SECONDS = Histogram(
    "fltr_job_duration_seconds",
    "Wall time of one job run (claim to finish), by kind.",
    ["kind"],
    buckets=_JOB_BUCKETS,
    registry=REGISTRY,
)
LEDGER_OPERATIONS = Counter(
    "fltr_ledger_operations",
    "Credit ledger operations asked of the auth service, by operation and outcome "
    "(ok, replayed, or the error code of a refusal).",
    ["operation", "outcome"],
    registry=REGISTRY,
)
DEFERRED_CHARGES = Counter(
    "fltr_deferred_charges",
    "Search charges sent to the ledger after the answer (the content service), by outcome: "
    "ok, replayed, or the ledger's refusal code (credits served and not paid).",
    ["outcome"],
    registry=REGISTRY,
)
MILVUS_SECONDS = Histogram(
    "fltr_milvus_seconds",
    "Latency of one Milvus client call, by client method.",
    ["operation"],
    buckets=_MILVUS_BUCKETS,
    registry=REGISTRY,
)


def record_job(kind: str, state: str, seconds: float) -> None:
    JOBS.labels(kind, state).inc()
    JOB_SECONDS.labels(kind).observe(seconds)


@contextmanager
def milvus_timer(operation: str) -> Iterator[None]:
    """Time a Milvus call; failed calls count too (a timeout is latency worth seeing)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        MILVUS_SECONDS.labels(operation).observe(time.perf_counter() - start)


def render() -> bytes:
    return generate_latest(REGISTRY)
