from __future__ import annotations

from fltr_auth.health import repository
from fltr_shared.db import Database
from fltr_shared.health import HealthReport, run_checks


async def check(database: Database, timeout: float) -> HealthReport:
    async def check_database() -> None:
        async with database.transaction() as session:
            await repository.ping(session)

    return await run_checks({"database": check_database}, timeout)
