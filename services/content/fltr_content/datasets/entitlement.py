"""May this caller read a dataset's *content* (search, chunks, MCP), not just its listing.

- An API key's allowlist first: a dataset not on it is never readable through the key.
- Public and free: anyone (the policy's answer).
- Private, premium or paid: the auth service's ``POST /internal/v1/entitlements/check``
  decides (owner, team member, admin; for paid ones also a subscription or purchase).
  Anonymous callers never may.
"""

from __future__ import annotations

from fltr_content.auth_client import AuthServiceClient
from fltr_content.callers.resolver import Caller
from fltr_content.datasets import policy
from fltr_content.datasets.models import Dataset
from fltr_content.datasets.schemas import DatasetOut

PAID_REASONS = frozenset({"subscribed", "purchased"})


def _principal(caller: Caller) -> dict[str, str]:
    if caller.api_key_id is not None:
        return {"api_key_id": caller.api_key_id}
    return {"user_id": caller.user_id}


async def can_read_content(
    caller: Caller | None, dataset: Dataset, auth_client: AuthServiceClient
) -> bool:
    if caller is not None and not caller.can_read_dataset(dataset.id, dataset.slug):
        return False  # the key's allowlist, without asking anyone
    if dataset.visibility == "public" and dataset.pricing_model == "free":
        return policy.can_read(caller, dataset)
    if caller is None:
        return False
    # private (owner, team member, admin) and paid (those, or a subscription or purchase):
    # the auth service knows the teams and the purchases
    return await auth_client.check_entitlement(_check(caller, dataset))


def _check(caller: Caller, dataset: Dataset | DatasetOut) -> dict[str, str]:
    return {
        **_principal(caller),
        "dataset_id": dataset.id,
        "dataset_slug": dataset.slug,
        "owner_id": dataset.owner_id,
        "owner_type": dataset.owner_type,
        "visibility": dataset.visibility,
        "pricing_model": dataset.pricing_model,
    }


async def has_paid_for(
    caller: Caller, dataset: Dataset | DatasetOut, auth_client: AuthServiceClient
) -> bool:
    """Whether the caller reads a paid dataset because it paid (a subscription or a
    purchase), not as its owner's side or an admin: a review's ``verified_purchase``."""
    if dataset.pricing_model == "free" or dataset.visibility == "private":
        return False
    _, reason = await auth_client.entitlement(_check(caller, dataset))
    return reason in PAID_REASONS
