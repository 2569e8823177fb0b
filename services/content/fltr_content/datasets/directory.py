"""What the catalog asks the auth service about people: a user's team roles (for the access
policy) and owners' public profiles (for dataset responses).

Both are cached briefly (``TEAM_MEMBERSHIP_CACHE_SECONDS``, ``OWNER_PROFILE_CACHE_SECONDS``):
a user removed from a team keeps its access here for at most that long. Profiles of a whole
page are fetched in one batched call, only for the owners not in the cache. A profile read
that fails leaves the owner's name empty rather than failing the listing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

import structlog
from cachetools import TTLCache
from fastapi import Depends, Request

from fltr_content.auth_client import AuthServiceClient
from fltr_content.callers.resolver import Caller
from fltr_content.settings import ContentSettings
from fltr_shared.errors import UpstreamUnavailable

log = structlog.get_logger(__name__)

EDITOR_ROLES = frozenset({"owner", "admin"})
Owner = tuple[str, str]  # (owner_type, owner_id)


def has_editor_role(role: str | None) -> bool:
    """Better Auth stores several roles comma-separated."""
    return role is not None and bool(EDITOR_ROLES & {r.strip() for r in role.split(",")})


class OwnerDirectory:
    def __init__(
        self, auth: AuthServiceClient, *, membership_seconds: float, profile_seconds: float
    ) -> None:
        self._auth = auth
        self._teams: TTLCache[str, dict[str, str]] | None = (
            TTLCache(maxsize=10_000, ttl=membership_seconds) if membership_seconds > 0 else None
        )
        self._profiles: TTLCache[Owner, dict[str, Any]] | None = (
            TTLCache(maxsize=10_000, ttl=profile_seconds) if profile_seconds > 0 else None
        )

    async def teams_of(self, caller: Caller | None) -> dict[str, str]:
        """The caller's teams (id -> role); none for anonymous callers and team keys."""
        if caller is None or caller.owner_type != "user":
            return {}
        if self._teams is not None and (hit := self._teams.get(caller.user_id)) is not None:
            return hit
        teams = await self._auth.user_teams(caller.user_id)
        if self._teams is not None:
            self._teams[caller.user_id] = teams
        return teams

    async def role_in(self, team_id: str, user_id: str) -> str | None:
        """Asked fresh, never cached: it grants ownership of new datasets."""
        return await self._auth.team_role(team_id, user_id)

    async def profiles(self, owners: Iterable[Owner]) -> dict[Owner, dict[str, Any]]:
        """Public profiles of these owners; one call to the auth service for the misses."""
        wanted = set(owners)
        found: dict[Owner, dict[str, Any]] = {}
        missing: list[Owner] = []
        for owner in wanted:
            cached = self._profiles.get(owner) if self._profiles is not None else None
            if cached is not None:
                found[owner] = cached
            else:
                missing.append(owner)
        if not missing:
            return found
        try:
            rows = await self._auth.profiles(
                sorted(i for t, i in missing if t == "user"),
                sorted(i for t, i in missing if t == "team"),
            )
        except UpstreamUnavailable as exc:
            log.warning("owner_profiles_unavailable", error=str(exc))
            return found  # nothing cached: the next page asks again
        answered = {(row["type"], row["id"]): row for row in rows}
        for owner in missing:
            # an unknown owner is remembered as unknown, or every page would ask again
            row = answered.get(owner) or {
                "type": owner[0],
                "id": owner[1],
                "name": None,
                "username": None,
                "image": None,
            }
            found[owner] = row
            if self._profiles is not None:
                self._profiles[owner] = row
        return found


def _directory(request: Request) -> OwnerDirectory:
    # built on first use, so the app factory needs no change for it
    directory: OwnerDirectory | None = getattr(request.app.state, "owner_directory", None)
    if directory is None:
        settings: ContentSettings = request.app.state.settings
        directory = OwnerDirectory(
            request.app.state.auth_client,
            membership_seconds=settings.team_membership_cache_seconds,
            profile_seconds=settings.owner_profile_cache_seconds,
        )
        request.app.state.owner_directory = directory
    return directory


async def _directory_dep(request: Request) -> OwnerDirectory:
    # async: FastAPI runs a plain ``def`` dependency in its thread pool
    return _directory(request)


DirectoryDep = Annotated[OwnerDirectory, Depends(_directory_dep)]


def directory_of(request: Request) -> OwnerDirectory:
    """The app's directory, for code that runs outside FastAPI's dependencies."""
    return _directory(request)
