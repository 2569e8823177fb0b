from __future__ import annotations

from fastapi import APIRouter, Request, Response

from fltr_auth.health import service
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
    summary="Readiness: the database answers (503 takes the process out of rotation)",
)
@router.get(
    "/health",
    response_model=HealthReport,
    responses={503: {"model": HealthReport, "description": "A dependency is down."}},
    summary="Service health and the state of its database",
)
async def health(request: Request, response: Response, database: DatabaseDep) -> HealthReport:
    report = await service.check(database, request.app.state.settings.health_timeout_seconds)
    if not report.healthy:
        response.status_code = 503
    return report
