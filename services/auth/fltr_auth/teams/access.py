"""Better Auth's default organization access control: roles, statements and checks.

Reproduces better-auth 1.7.25 ``plugins/organization/access/statement.mjs`` (the default
roles), ``permission.mjs`` (``hasPermissionFn``: a member may act when any of its roles
authorizes every requested action of every requested resource) and ``roles.mjs`` (roles are
stored comma-separated, trimmed). The creator role is ``owner``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol, TypeVar

CREATOR_ROLE = "owner"

Statements = Mapping[str, frozenset[str]]

_OWNER: Statements = {
    "organization": frozenset({"update", "delete"}),
    "member": frozenset({"create", "update", "delete"}),
    "invitation": frozenset({"create", "cancel"}),
    "team": frozenset({"create", "update", "delete"}),
    "ac": frozenset({"create", "read", "update", "delete"}),
}
_ADMIN: Statements = {**_OWNER, "organization": frozenset({"update"})}
_MEMBER: Statements = {
    "organization": frozenset(),
    "member": frozenset(),
    "invitation": frozenset(),
    "team": frozenset(),
    "ac": frozenset({"read"}),
}

#: ``defaultRoles``: owner may do everything, admin all but deleting the organization,
#: member only read. (Changing or inviting owners is reserved to owners by the routes.)
DEFAULT_ROLES: Mapping[str, Statements] = {"owner": _OWNER, "admin": _ADMIN, "member": _MEMBER}


def parse_role_list(roles: str | Sequence[str]) -> list[str]:
    """``parseRoleList``: ``"admin, owner"`` or ``["admin", " owner"]`` -> admin, owner."""
    items = [roles] if isinstance(roles, str) else list(roles)
    return [part.strip() for item in items for part in item.split(",") if part.strip()]


def parse_roles(roles: str | Sequence[str]) -> str:
    """``parseRoles``: the comma-separated form stored in ``members.role``."""
    return ",".join(parse_role_list(roles))


def unknown_roles(roles: Iterable[str]) -> list[str]:
    return [role for role in roles if role not in DEFAULT_ROLES]


def is_creator(role: str) -> bool:
    return CREATOR_ROLE in parse_role_list(role)


def _authorizes(statements: Statements, request: Mapping[str, Sequence[str]]) -> bool:
    """``role(statements).authorize(request)`` with the default ``AND`` connector."""
    if not request:
        return False
    for resource, actions in request.items():
        allowed = statements.get(resource)
        if allowed is None or not actions or not all(action in allowed for action in actions):
            return False
    return True


def has_permission(role: str, permissions: Mapping[str, Sequence[str]]) -> bool:
    """``hasPermission``: true when one of the member's roles allows all of ``permissions``."""
    for name in parse_role_list(role):
        statements = DEFAULT_ROLES.get(name)
        if statements is not None and _authorizes(statements, permissions):
            return True
    return False


def can_view_invitations(role: str) -> bool:
    """``canViewInvitations``: invitation ids act as links, so only inviters may see them."""
    return has_permission(role, {"invitation": ["create"]})


class _HasRole(Protocol):
    @property
    def role(self) -> str | None: ...


InvitationT = TypeVar("InvitationT", bound=_HasRole)


def without_creator_role_invitations(
    invitations: Sequence[InvitationT], role: str
) -> list[InvitationT]:
    """``withoutCreatorRoleInvitations``: non-owners never see invitations that grant owner."""
    if is_creator(role):
        return list(invitations)
    return [i for i in invitations if CREATOR_ROLE not in parse_role_list(i.role or "")]
