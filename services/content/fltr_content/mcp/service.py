"""What an MCP POST needs before the SDK sees it: the caller's access to the dataset version
(as for REST search) and how its ``search`` calls are charged.

Never commits.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content.callers.resolver import Caller
from fltr_content.datasets.directory import OwnerDirectory
from fltr_content.mcp.server import McpCall
from fltr_content.search import access, service
from fltr_content.usage.recorder import UsageDraft
from fltr_shared.db import Database


async def open_call(
    session: AsyncSession,
    database: Database,
    engine: service.Engine,
    caller: Caller,
    ref: str,
    directory: OwnerDirectory | None,
    idempotency_header: str | None,
    request_id: str | None,
    draft: UsageDraft,
) -> McpCall:
    """404/403 as REST search does; the key of each ``search`` charge is built from the
    POST's ``Idempotency-Key`` (else its request id) and the JSON-RPC request id."""
    target = await access.resolve(session, caller, ref, engine.auth, directory, engine.targets)
    draft.dataset_ids = [target.dataset_id]
    key = service.idempotency_key(idempotency_header, request_id)
    return McpCall(
        caller=caller,
        target=target,
        engine=engine,
        database=database,
        idempotency_base=f"{key}:mcp",
        draft=draft,
    )
