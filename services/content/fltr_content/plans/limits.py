"""The content side of plan limits (seed 002's tiers): datasets created this month, documents
and stored bytes, per owner (a user or a team). The auth service says what the owner's plan
allows (``GET /internal/v1/billing/limits``, cached briefly); this service counts its own rows.
While billing is off nothing is enforced (no one could upgrade past a limit).

Refusal: 403 ``plan_limit_reached`` naming the limit, its value and the plan.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content.auth_client import AuthServiceClient
from fltr_content.datasets.models import Dataset
from fltr_content.documents.models import Document
from fltr_content.usage.models import ApiUsage
from fltr_shared.errors import Forbidden

CACHE_SECONDS = 30.0


def _month_start() -> datetime:
    return datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


class PlanLimitReached(Forbidden):
    default_code = "plan_limit_reached"

    def __init__(self, limit: str, value: int, plan: str) -> None:
        super().__init__(
            f"The {plan!r} plan allows {value} for {limit}; upgrade the plan to go further."
        )
        self.limit, self.value, self.plan = limit, value, plan

    def body(self) -> dict[str, Any]:
        return {**super().body(), "limit": self.limit, "value": self.value, "plan": self.plan}


@dataclass
class _Cached:
    at: float
    answer: dict[str, Any]


class PlanLimits:
    def __init__(self, auth: AuthServiceClient) -> None:
        self._auth = auth
        self._cache: dict[tuple[str, str], _Cached] = {}

    async def of(self, owner_type: str, owner_id: str) -> dict[str, Any]:
        key = (owner_type, owner_id)
        cached = self._cache.get(key)
        if cached is not None and time.monotonic() - cached.at < CACHE_SECONDS:
            return cached.answer
        answer = await self._auth.plan_limits(owner_type, owner_id)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key] = _Cached(time.monotonic(), answer)
        return answer

    async def check_new_dataset(
        self, session: AsyncSession, owner_type: str, owner_id: str
    ) -> None:
        answer = await self.of(owner_type, owner_id)
        limit = answer["limits"].get("datasets_per_month") if answer.get("enforced") else None
        if limit is None:
            return
        month_start = _month_start()
        made = await session.scalar(
            select(func.count())
            .select_from(Dataset)
            .where(
                Dataset.owner_type == owner_type,
                Dataset.owner_id == owner_id,
                Dataset.created_at >= month_start,
            )
        )
        if int(made or 0) + 1 > limit:
            raise PlanLimitReached("datasets_per_month", limit, answer["plan"])

    async def check_new_search(self, session: AsyncSession, owner_type: str, owner_id: str) -> None:
        """Searches this month are the charged calls in ``api_usage`` (REST and MCP); rows are
        written a moment after each response, so a burst may pass the limit by a few calls."""
        answer = await self.of(owner_type, owner_id)
        limit = answer["limits"].get("searches_per_month") if answer.get("enforced") else None
        if limit is None:
            return
        done = await session.scalar(
            select(func.count())
            .select_from(ApiUsage)
            .where(
                ApiUsage.user_id == owner_id,
                ApiUsage.created_at >= _month_start(),
                ApiUsage.credits > 0,
            )
        )
        if int(done or 0) + 1 > limit:
            raise PlanLimitReached("searches_per_month", limit, answer["plan"])

    async def check_new_documents(
        self, session: AsyncSession, owner_type: str, owner_id: str, count: int, size: int
    ) -> None:
        answer = await self.of(owner_type, owner_id)
        if not answer.get("enforced"):
            return
        limits = answer["limits"]
        if limits.get("documents") is None and limits.get("storage_bytes") is None:
            return
        documents, stored = (
            await session.execute(
                select(func.count(Document.id), func.coalesce(func.sum(Document.size_bytes), 0))
                .join(Dataset, Dataset.id == Document.dataset_id)
                .where(
                    Dataset.owner_type == owner_type,
                    Dataset.owner_id == owner_id,
                    Document.deleted_at.is_(None),
                )
            )
        ).one()
        if limits.get("documents") is not None and int(documents) + count > limits["documents"]:
            raise PlanLimitReached("documents", limits["documents"], answer["plan"])
        if limits.get("storage_bytes") is not None and int(stored) + size > limits["storage_bytes"]:
            raise PlanLimitReached("storage_bytes", limits["storage_bytes"], answer["plan"])
