"""``make bench``: run every benchmark, print its ratios, write bench/results/<name>.json."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from bench import credit_deductions, middleware_overhead, session_validation

RESULTS = Path(__file__).parent / "results"
BENCHMARKS = {
    "middleware_overhead": middleware_overhead.run,
    "session_validation": session_validation.run,
    "credit_deductions": credit_deductions.run,
}


def main() -> int:
    RESULTS.mkdir(exist_ok=True)
    failed = []
    for name, run in BENCHMARKS.items():
        result = asyncio.run(run())
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
        verdict = "ok" if result["meets_target"] else "BELOW TARGET"
        print(f"{name}: {json.dumps(result)} -> {verdict}")
        if not result["meets_target"]:
            failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
