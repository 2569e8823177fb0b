"""Who may see and change a dataset: every access decision of the catalog, in one place.

- public and premium listings: anyone, signed in or not (premium *content* is
  ``datasets.entitlement``'s, which asks the auth service);
- private: only its owner (the user, or the team whose key is calling), members of the
  owning team (any role) and site admins; anyone else is told 404, so a private dataset's
  existence does not leak;
- edit, delete, restore, publish, sources, audit: the owner, an ``owner``/``admin`` member of
  the owning team, or a site admin, with a credential at ``write`` scope;
- ``is_featured`` / ``is_verified``: admins only;
- an API key with a dataset allowlist sees only the datasets on it (others are 404).

``teams`` is the caller's team roles (team id -> role), from ``datasets.directory``; a
user's API key acts with its user's teams.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fltr_content.callers.resolver import Caller
from fltr_content.datasets.directory import has_editor_role
from fltr_content.datasets.models import Dataset

PUBLIC_LISTING = ("public", "premium")
ADMIN_ONLY_FIELDS = frozenset({"is_featured", "is_verified"})
NO_TEAMS: Mapping[str, str] = {}


@dataclass(frozen=True)
class ListingScope:
    """Which rows a caller may list: everything (admins), or the public listings plus, when
    ``owner`` is set, that owner's own rows of any visibility, plus the rows of ``teams``."""

    everything: bool
    owner: tuple[str, str] | None  # (owner_type, owner_id)
    teams: tuple[str, ...] = ()
    allowlist: tuple[str, ...] | None = None  # a key's dataset allowlist (ids or slugs)


def is_owner(caller: Caller | None, dataset: Dataset) -> bool:
    return (
        caller is not None
        and dataset.owner_id == caller.user_id
        and dataset.owner_type == caller.owner_type
    )


def team_role(caller: Caller | None, dataset: Dataset, teams: Mapping[str, str]) -> str | None:
    if caller is None or dataset.owner_type != "team" or caller.owner_type != "user":
        return None
    return teams.get(dataset.owner_id)


def can_read(caller: Caller | None, dataset: Dataset, teams: Mapping[str, str] = NO_TEAMS) -> bool:
    if caller is not None and not caller.can_read_dataset(dataset.id, dataset.slug):
        return False
    if dataset.visibility in PUBLIC_LISTING:
        return True
    return caller is not None and (
        caller.is_admin
        or is_owner(caller, dataset)
        or team_role(caller, dataset, teams) is not None
    )


def can_create(caller: Caller) -> bool:
    return caller.has_scope("write")


def can_create_for_team(caller: Caller, role: str | None) -> bool:
    """A user creates a team's dataset as an owner or admin of that team."""
    return caller.owner_type == "user" and caller.has_scope("write") and has_editor_role(role)


def can_edit(caller: Caller, dataset: Dataset, teams: Mapping[str, str] = NO_TEAMS) -> bool:
    return caller.has_scope("write") and (
        caller.is_admin
        or is_owner(caller, dataset)
        or has_editor_role(team_role(caller, dataset, teams))
    )


def can_set_admin_fields(caller: Caller) -> bool:
    return caller.is_admin


def can_restore(caller: Caller, dataset: Dataset, teams: Mapping[str, str] = NO_TEAMS) -> bool:
    """Within the grace period, whoever could delete it may bring it back."""
    return can_edit(caller, dataset, teams)


def listing_scope(caller: Caller | None, teams: Mapping[str, str] = NO_TEAMS) -> ListingScope:
    if caller is None:
        return ListingScope(everything=False, owner=None)
    allowlist = tuple(sorted(caller.datasets)) if caller.datasets is not None else None
    if caller.is_admin:
        return ListingScope(everything=True, owner=None, allowlist=allowlist)
    return ListingScope(
        everything=False,
        owner=(caller.owner_type, caller.user_id),
        teams=tuple(sorted(teams)) if caller.owner_type == "user" else (),
        allowlist=allowlist,
    )
