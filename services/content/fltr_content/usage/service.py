"""Usage summaries for callers (their own calls) and curators (calls on their datasets).

Never commits.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content.auth_client import AuthServiceClient
from fltr_content.callers.resolver import Caller
from fltr_content.datasets import service as datasets
from fltr_content.datasets.directory import OwnerDirectory
from fltr_content.usage import repository
from fltr_content.usage.schemas import (
    Allowance,
    CallerUsage,
    CallerUsageRow,
    DatasetUsage,
    DatasetUsageRow,
)
from fltr_shared.db import utcnow
from fltr_shared.errors import BadRequest, UpstreamUnavailable

logger = structlog.get_logger(__name__)

DEFAULT_DAYS = 30
MAX_DAYS = 366
MAX_ROWS = 1_000


def window(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    until = until or utcnow()
    since = since or until - timedelta(days=DEFAULT_DAYS)
    if since.tzinfo is None or until.tzinfo is None:
        raise BadRequest("since and until need a time zone (e.g. Z).", code="naive_datetime")
    if since >= until:
        raise BadRequest("since must be before until.", code="invalid_window")
    if until - since > timedelta(days=MAX_DAYS):
        raise BadRequest(f"A window is at most {MAX_DAYS} days.", code="invalid_window")
    return since, until


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _numbers(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "day": _day(row["day"]),
        "errors": int(row["errors"] or 0),
        "credits": int(row["credits"] or 0),
        "tokens": int(row["tokens"] or 0),
        "avg_response_ms": round(float(row["avg_response_ms"] or 0), 1),
    }


async def _balance(auth: AuthServiceClient, caller: Caller) -> Allowance | None:
    params = (
        {"organization_id": caller.user_id}
        if caller.owner_type == "team"
        else {"user_id": caller.user_id}
    )
    try:
        status, body = await auth.credits_read("balance", params)
    except UpstreamUnavailable as exc:
        logger.warning("usage_balance_unavailable", error=str(exc))
        return None
    if status != 200 or not isinstance(body, dict):
        return None
    pools = body.get("pools") or {}
    return Allowance(
        credits=int(body["credits"]),
        allowance_remaining=int(pools.get("allowance", 0)),
        purchased=int(pools.get("purchased", 0)),
        allowance_resets_at=body.get("allowance_resets_at"),
    )


async def for_caller(
    session: AsyncSession,
    auth: AuthServiceClient,
    caller: Caller,
    since: datetime | None,
    until: datetime | None,
) -> CallerUsage:
    start, end = window(since, until)
    rows = await repository.by_caller(session, caller.user_id, start, end, MAX_ROWS)
    return CallerUsage(
        since=start,
        until=end,
        items=[CallerUsageRow.model_validate(_numbers(row)) for row in rows],
        balance=await _balance(auth, caller),
    )


async def for_dataset(
    session: AsyncSession,
    caller: Caller,
    slug_or_id: str,
    since: datetime | None,
    until: datetime | None,
    directory: OwnerDirectory | None,
) -> DatasetUsage:
    """Only whoever may edit the dataset (owner, team editors, admins) sees its usage."""
    start, end = window(since, until)
    dataset = await datasets.editable(session, caller, slug_or_id, directory)
    rows = await repository.by_dataset(session, dataset.id, start, end, MAX_ROWS)
    return DatasetUsage(
        dataset_id=dataset.id,
        since=start,
        until=end,
        items=[DatasetUsageRow.model_validate(_numbers(row)) for row in rows],
    )
