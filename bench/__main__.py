"""``make bench``: run every benchmark, print its ratios, write bench/results/<name>.json."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from bench import (
    catalog_listing,
    credit_deductions,
    ingestion,
    load,
    middleware_overhead,
    search,
    search_scaling,
    session_validation,
)

RESULTS = Path(__file__).parent / "results"
BENCHMARKS = {
    "middleware_overhead": middleware_overhead.run,
    "session_validation": session_validation.run,
    "credit_deductions": credit_deductions.run,
    "search": search.run,
    "catalog_listing": catalog_listing.run,
    "ingestion": ingestion.run,
    "search_scaling": search_scaling.run,
    "load": load.run,
}


def main() -> int:
    """``python -m bench [name ...]``: the named benchmarks, or all of them."""
    RESULTS.mkdir(exist_ok=True)
    chosen = sys.argv[1:] or list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        return 2
    failed = []
    for name in chosen:
        run = BENCHMARKS[name]
        result = asyncio.run(run())
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
        verdict = "ok" if result["meets_target"] else "BELOW TARGET"
        print(f"{name}: {json.dumps(result)} -> {verdict}")
        if not result["meets_target"]:
            failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
