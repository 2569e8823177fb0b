from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

# Prefixes live on routers (not include_router) so route templates in metrics are whole.
router = APIRouter(prefix="/internal/v1", tags=["internal"])


class Pong(BaseModel):
    service: str
    status: str


@router.get("/ping", response_model=Pong, summary="Service-to-service reachability check")
async def ping() -> Pong:
    return Pong(service="auth", status="ok")
