"""``POST /internal/v1/entitlements/check`` (the service credential is checked by the app)."""

from __future__ import annotations

from fastapi import APIRouter

from fltr_auth.entitlements import service
from fltr_auth.entitlements.schemas import EntitlementCheckIn, EntitlementOut
from fltr_shared.db import SessionDep

router = APIRouter(prefix="/internal/v1", tags=["internal"])


@router.post(
    "/entitlements/check",
    response_model=EntitlementOut,
    summary="Whether a user or an API key may use a dataset, and why",
)
async def check_entitlement(body: EntitlementCheckIn, db: SessionDep) -> EntitlementOut:
    decision = await service.check(db, body)
    return EntitlementOut(allowed=decision.allowed, reason=decision.reason)
