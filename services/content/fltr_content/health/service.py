from __future__ import annotations

from fltr_content.auth_client import AuthServiceClient
from fltr_content.health import repository
from fltr_content.vectors.store import VectorStore
from fltr_shared.db import Database
from fltr_shared.health import HealthReport, run_checks


async def check(
    database: Database, vectors: VectorStore, auth: AuthServiceClient, timeout: float
) -> HealthReport:
    async def check_database() -> None:
        async with database.transaction() as session:
            await repository.ping(session)

    async def check_milvus() -> None:
        await vectors.ping(timeout)

    async def check_auth() -> None:
        await auth.ping(timeout)

    return await run_checks(
        {"database": check_database, "milvus": check_milvus, "auth_service": check_auth},
        timeout,
    )
