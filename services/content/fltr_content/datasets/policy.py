"""Who may see and change a dataset: every access decision of the catalog, in one place.

- public and premium listings: anyone, signed in or not (premium *content* is the
  entitlement check's, not this module's);
- private: only its owner (the user, or the team whose key is calling) and site admins;
  anyone else is told 404, so a private dataset's existence does not leak;
- edit and delete: the owner or an admin, with a credential at ``write`` scope;
- ``is_featured`` / ``is_verified``: admins only;
- an API key with a dataset allowlist sees only the datasets on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from fltr_content.callers.resolver import Caller
from fltr_content.datasets.models import Dataset

PUBLIC_LISTING = ("public", "premium")
ADMIN_ONLY_FIELDS = frozenset({"is_featured", "is_verified"})


@dataclass(frozen=True)
class ListingScope:
    """Which rows a caller may list: everything (admins), or the public listings plus, when
    ``owner`` is set, that owner's own rows of any visibility."""

    everything: bool
    owner: tuple[str, str] | None  # (owner_type, owner_id)


def is_owner(caller: Caller | None, dataset: Dataset) -> bool:
    return (
        caller is not None
        and dataset.owner_id == caller.user_id
        and dataset.owner_type == caller.owner_type
    )


def can_read(caller: Caller | None, dataset: Dataset) -> bool:
    if caller is not None and not caller.can_read_dataset(dataset.id, dataset.slug):
        return False
    if dataset.visibility in PUBLIC_LISTING:
        return True
    return caller is not None and (caller.is_admin or is_owner(caller, dataset))


def can_create(caller: Caller) -> bool:
    return caller.has_scope("write")


def can_edit(caller: Caller, dataset: Dataset) -> bool:
    return caller.has_scope("write") and (caller.is_admin or is_owner(caller, dataset))


def can_set_admin_fields(caller: Caller) -> bool:
    return caller.is_admin


def listing_scope(caller: Caller | None) -> ListingScope:
    if caller is None:
        return ListingScope(everything=False, owner=None)
    if caller.is_admin:
        return ListingScope(everything=True, owner=None)
    return ListingScope(everything=False, owner=(caller.owner_type, caller.user_id))
