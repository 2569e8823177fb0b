"""Who may search which dataset version: the catalog's read policy, the key's allowlist and,
for paid datasets, the auth service's entitlement check.

- unknown dataset, or one the caller may not see: 404 ``dataset_not_found``;
- visible, but the API key's allowlist does not name it: 403 ``dataset_not_allowed``;
- premium or paid, with no subscription or purchase: 403 ``entitlement_required``;
- an unknown or unpublished version: 404 ``version_not_found``.

Never commits.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cachetools import TTLCache
from sqlalchemy.ext.asyncio import AsyncSession

from fltr_content.auth_client import AuthServiceClient
from fltr_content.callers.resolver import Caller
from fltr_content.datasets import policy
from fltr_content.datasets import service as datasets
from fltr_content.datasets.directory import OwnerDirectory
from fltr_content.datasets.entitlement import can_read_content
from fltr_content.datasets.models import Dataset
from fltr_content.versions import service as versions
from fltr_shared.errors import Forbidden, NotFound


@dataclass(frozen=True)
class Target:
    """One dataset version to read: plain values, safe to keep after the session closes."""

    dataset_id: str
    slug: str
    name: str
    description: str
    version_id: str
    version: str  # "draft" for the working copy
    version_status: str
    collection: str

    @property
    def ref(self) -> str:
        return f"{self.slug}@{self.version}"

    @property
    def frozen_version_id(self) -> str | None:
        """The published version whose documents are frozen; None for the working copy."""
        return None if self.version_status == "draft" else self.version_id


class TargetCache:
    """Recent positive decisions, (caller, ref) -> Target, for ``SEARCH_ACCESS_CACHE_SECONDS``:
    agents repeat searches on one dataset, and the lookups (and, for paid datasets, the
    entitlement call) cost more than the search. A dataset made private, a key's allowlist
    narrowed or a new active version applies here within that time. Refusals are never
    cached."""

    def __init__(self, seconds: float) -> None:
        self._entries: TTLCache[tuple[Caller, str], Target] | None = (
            TTLCache(maxsize=10_000, ttl=seconds) if seconds > 0 else None
        )

    def get(self, caller: Caller, ref: str) -> Target | None:
        return self._entries.get((caller, ref)) if self._entries is not None else None

    def put(self, caller: Caller, ref: str, target: Target) -> None:
        if self._entries is not None:
            self._entries[(caller, ref)] = target


def _paid(dataset: Dataset) -> bool:
    return dataset.visibility == "premium" or dataset.pricing_model != "free"


async def _entitled(auth: AuthServiceClient, caller: Caller, dataset: Dataset) -> bool:
    """Paid content: the catalog's entitlement check (the auth service decides); owners and
    admins are not asked about."""
    if caller.is_admin or policy.is_owner(caller, dataset):
        return True
    return await can_read_content(caller, dataset, auth)


async def _readable(
    session: AsyncSession, caller: Caller, slug: str, directory: OwnerDirectory | None
) -> Dataset:
    try:
        return await datasets.readable(session, caller, slug, directory)
    except NotFound:
        if caller.datasets is None:
            raise
        # Visible without the allowlist? Then the key, not the dataset, is the problem; a
        # dataset the owner could not see either stays a 404 (its existence does not leak).
        await datasets.readable(session, replace(caller, datasets=None), slug, directory)
        raise Forbidden(
            "This API key's dataset allowlist does not include this dataset.",
            code="dataset_not_allowed",
        ) from None


async def resolve(
    session: AsyncSession,
    caller: Caller,
    ref: str,
    auth: AuthServiceClient,
    directory: OwnerDirectory | None,
    cache: TargetCache | None = None,
) -> Target:
    """The version ``ref`` (``slug``, ``id``, ``slug@1.0.0``, ``slug@draft``) names, if the
    caller may search it."""
    if cache is not None and (hit := cache.get(caller, ref)) is not None:
        return hit
    slug, label = versions.split_ref(ref)
    dataset = await _readable(session, caller, slug, directory)
    if _paid(dataset) and not await _entitled(auth, caller, dataset):
        raise Forbidden(
            "This dataset is paid: it needs a subscription or a purchase.",
            code="entitlement_required",
        )
    version = await versions.for_read(session, dataset, label)
    target = Target(
        dataset_id=dataset.id,
        slug=dataset.slug,
        name=dataset.name,
        description=dataset.description,
        version_id=version.id,
        version=version.version,
        version_status=version.status,
        collection=version.collection_name,
    )
    if cache is not None:
        cache.put(caller, ref, target)
    return target
