"""Write and read the audit log. ``record`` adds the row to the caller's session, so it
commits or rolls back with the change it describes. Never commits.

Actors: a user (session or JWT) is ``user``; an API key is ``api_key`` (its id); work
nobody asked for in a request (the purge) is ``system``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content.audit import repository
from fltr_content.audit.context import SYSTEM, RequestContext
from fltr_content.audit.models import AuditEntry
from fltr_content.audit.schemas import AuditEntryOut
from fltr_content.callers.resolver import Caller
from fltr_shared.pagination import Page, PageParams


def _plain(value: Any) -> Any:
    """A JSON-safe copy of a column value."""
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """``{field: {"before", "after"}}`` for the fields whose value changed."""
    return {
        field: {"before": _plain(before.get(field)), "after": _plain(value)}
        for field, value in after.items()
        if before.get(field) != value
    }


def snapshot(values: dict[str, Any]) -> dict[str, Any]:
    return {field: _plain(value) for field, value in values.items()}


async def record(
    session: AsyncSession,
    ctx: RequestContext | None,
    caller: Caller | None,
    action: str,
    *,
    resource_type: str,
    resource_id: str | None,
    dataset_id: str | None,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    ctx = ctx or SYSTEM
    if caller is None:
        actor_type, actor_id = "system", None
    elif caller.api_key_id is not None:
        actor_type, actor_id = "api_key", caller.api_key_id
    else:
        actor_type, actor_id = "user", caller.user_id
    entry = AuditEntry(
        actor_id=actor_id,
        actor_type=actor_type,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        dataset_id=dataset_id,
        changes=changes or {},
        ip=ctx.ip,
        user_agent=ctx.user_agent,
        request_id=ctx.request_id,
    )
    await repository.add(session, entry)
    return entry


async def of_dataset(
    session: AsyncSession, dataset_id: str, params: PageParams
) -> Page[AuditEntryOut]:
    rows = await repository.of_dataset(session, dataset_id, params.limit, params.offset)
    total = await repository.count_of_dataset(session, dataset_id)
    return Page[AuditEntryOut].build(
        [AuditEntryOut.model_validate(row) for row in rows], total, params
    )
