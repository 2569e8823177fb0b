"""All SQL of the usage domain: batch inserts and the per-day summaries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Date, case, cast, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content.usage.models import ApiUsage, new_usage_id


async def insert_rows(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await session.execute(insert(ApiUsage), [{"id": new_usage_id(), **row} for row in rows])


def _day(session: AsyncSession) -> ColumnElement[Any]:
    """The UTC calendar day of a row, whatever the server's time zone."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", ApiUsage.created_at), Date)
    return func.date(ApiUsage.created_at)


def _totals() -> list[ColumnElement[Any]]:
    return [
        func.count().label("calls"),
        func.sum(case((ApiUsage.status_code >= 400, 1), else_=0)).label("errors"),
        func.coalesce(func.sum(ApiUsage.credits), 0).label("credits"),
        func.coalesce(func.sum(ApiUsage.tokens_used), 0).label("tokens"),
        func.avg(ApiUsage.response_time_ms).label("avg_response_ms"),
    ]


async def by_caller(
    session: AsyncSession, user_id: str, since: datetime, until: datetime, limit: int
) -> list[dict[str, Any]]:
    """The caller's calls per day, key and dataset, newest day first."""
    day = _day(session).label("day")
    query = (
        select(day, ApiUsage.api_key_id, ApiUsage.dataset_id, *_totals())
        .where(
            ApiUsage.user_id == user_id,
            ApiUsage.created_at >= since,
            ApiUsage.created_at < until,
        )
        .group_by(day, ApiUsage.api_key_id, ApiUsage.dataset_id)
        .order_by(day.desc(), ApiUsage.api_key_id, ApiUsage.dataset_id)
        .limit(limit)
    )
    return [dict(row._mapping) for row in await session.execute(query)]


async def by_dataset(
    session: AsyncSession, dataset_id: str, since: datetime, until: datetime, limit: int
) -> list[dict[str, Any]]:
    """A dataset's calls per day (every caller), newest day first."""
    day = _day(session).label("day")
    query = (
        select(day, func.count(func.distinct(ApiUsage.user_id)).label("callers"), *_totals())
        .where(
            ApiUsage.dataset_id == dataset_id,
            ApiUsage.created_at >= since,
            ApiUsage.created_at < until,
        )
        .group_by(day)
        .order_by(day.desc())
        .limit(limit)
    )
    return [dict(row._mapping) for row in await session.execute(query)]
