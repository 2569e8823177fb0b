"""Response body of ``GET /api/v1/datasets/{slug_or_id}/audit``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    actor_id: str | None
    actor_type: Literal["user", "api_key", "team", "system"]
    action: str
    resource_type: str
    resource_id: str | None
    dataset_id: str | None
    changes: dict[str, Any]
    ip: str | None
    user_agent: str | None
    request_id: str | None
    created_at: datetime
