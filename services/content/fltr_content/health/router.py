from __future__ import annotations

from fastapi import APIRouter, Response

from fltr_content.deps import AuthClientDep, SettingsDep, VectorStoreDep
from fltr_content.health import service
from fltr_shared.deps import DatabaseDep
from fltr_shared.health import HealthReport, Liveness

router = APIRouter(tags=["health"])


@router.get("/health/live", response_model=Liveness, summary="Liveness: the process answers")
async def live() -> Liveness:
    return Liveness()


@router.get(
    "/health/ready",
    response_model=HealthReport,
    responses={503: {"model": HealthReport, "description": "A dependency is down."}},
    summary="Readiness: database, Milvus and the auth service answer (503 otherwise)",
)
@router.get(
    "/health",
    response_model=HealthReport,
    responses={503: {"model": HealthReport, "description": "A dependency is down."}},
    summary="Service health: database, Milvus and the auth service",
)
async def health(
    response: Response,
    settings: SettingsDep,
    database: DatabaseDep,
    vectors: VectorStoreDep,
    auth: AuthClientDep,
) -> HealthReport:
    report = await service.check(database, vectors, auth, settings.health_timeout_seconds)
    if not report.healthy:
        response.status_code = 503
    return report
