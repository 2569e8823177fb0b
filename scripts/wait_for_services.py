"""Wait until PostgreSQL and Redis answer at the test URLs; exit 1 saying which one does not.

Used by .ci/run before the tests, so a missing server fails fast and clearly.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

import asyncpg
import redis.asyncio as aioredis

POSTGRES_URL = os.environ.get(
    "FLTR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
).replace("postgresql+asyncpg://", "postgresql://")
REDIS_URL = os.environ.get("FLTR_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


async def postgres_ok() -> str | None:
    try:
        conn = await asyncpg.connect(POSTGRES_URL, timeout=3)
        await conn.close()
    except Exception as exc:
        return f"PostgreSQL at {POSTGRES_URL}: {exc}"
    return None


async def redis_ok() -> str | None:
    client = aioredis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        await client.ping()
    except Exception as exc:
        return f"Redis at {REDIS_URL}: {exc}"
    finally:
        await client.aclose()
    return None


async def main(timeout: float, which: list[str]) -> int:
    checks = {"postgres": postgres_ok, "redis": redis_ok}
    deadline = time.monotonic() + timeout
    while True:
        problems = [p for p in await asyncio.gather(*(checks[w]() for w in which)) if p]
        if not problems:
            return 0
        if time.monotonic() > deadline:
            for problem in problems:
                print(f"not answering: {problem}", file=sys.stderr)
            return 1
        await asyncio.sleep(0.5)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--timeout", type=float, default=0.0)
    parser.add_argument("which", nargs="*", default=["postgres", "redis"])
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.timeout, args.which)))
