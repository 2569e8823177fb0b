"""Better Auth's JSON conventions: camelCase keys and JavaScript ``Date`` strings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainSerializer
from pydantic.alias_generators import to_camel


def js_date(value: datetime) -> str:
    """``2026-11-24T10:00:00.000Z``, as ``JSON.stringify(new Date())`` writes it."""
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


JsDate = Annotated[datetime, PlainSerializer(js_date, return_type=str)]


class WireModel(BaseModel):
    """Request and response bodies of /api/auth: camelCase on the wire, snake_case in code."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)
