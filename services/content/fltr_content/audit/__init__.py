"""The audit log of catalog changes: who did what to which resource, when, from where.

``audit.record(session, request_ctx, caller, "dataset.update", ...)`` from any domain.
"""

from fltr_content.audit.service import record

__all__ = ["record"]
