"""Organizations, members, invitations and teams: Better Auth 1.7.25's organization plugin.

The whole flow (create -> invite by email -> accept -> roles -> teams -> leave/remove) and
every refusal, each checked to have changed nothing. Expected shapes, codes and statuses
were read from better-auth 1.7.25 (``plugins/organization``) and a running instance of it.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from fltr_auth.sessions.models import Session
from fltr_auth.teams import service as teams_service
from fltr_auth.teams.models import Invitation, TeamMember
from fltr_auth.users.models import User
from fltr_shared.db import utcnow
from tests.auth.helpers import SignedUp, sign_up, unique_email
from tests.mail import Mailbox, body_of, link_in

pytestmark = pytest.mark.core

ORG = "/api/auth/organization"
JS_DATE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"


@pytest.fixture
def client(auth_client: httpx.AsyncClient) -> httpx.AsyncClient:
    return auth_client


async def post(
    client: httpx.AsyncClient, path: str, who: SignedUp, body: dict[str, Any]
) -> httpx.Response:
    return await client.post(f"{ORG}/{path}", json=body, headers=who.bearer)


async def get(client: httpx.AsyncClient, path: str, who: SignedUp, **params: Any) -> httpx.Response:
    return await client.get(f"{ORG}/{path}", params=params, headers=who.bearer)


async def create_org(
    client: httpx.AsyncClient, owner: SignedUp, slug: str | None = None, **extra: Any
) -> dict[str, Any]:
    slug = slug or unique_email("org").split("@")[0]
    response = await post(client, "create", owner, {"name": "Acme Labs", "slug": slug, **extra})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def full(client: httpx.AsyncClient, who: SignedUp, org_id: str) -> dict[str, Any]:
    response = await get(client, "get-full-organization", who, organizationId=org_id)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def active_ids(client: httpx.AsyncClient, who: SignedUp) -> tuple[str | None, str | None]:
    session = (await client.get("/api/auth/get-session", headers=who.bearer)).json()["session"]
    return session["activeOrganizationId"], session["activeTeamId"]


async def invite(
    client: httpx.AsyncClient, inviter: SignedUp, org_id: str, email: str, role: str = "member"
) -> httpx.Response:
    return await post(
        client, "invite-member", inviter, {"email": email, "role": role, "organizationId": org_id}
    )


async def join(
    client: httpx.AsyncClient, owner: SignedUp, org_id: str, role: str = "member"
) -> SignedUp:
    """A new user invited with ``role`` who accepts."""
    user = await sign_up(client, name=f"{role.title()} User")
    invitation = (await invite(client, owner, org_id, user.email, role)).json()
    accepted = await post(client, "accept-invitation", user, {"invitationId": invitation["id"]})
    assert accepted.status_code == 200, accepted.text
    return user


def refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    assert body["message"]


def member_of(snapshot: dict[str, Any], user: SignedUp) -> dict[str, Any]:
    return next(m for m in snapshot["members"] if m["userId"] == user.user["id"])


# ---- the whole flow


async def test_create_invite_accept_roles_teams_and_leave(
    client: httpx.AsyncClient, auth_app: FastAPI, mailbox: Mailbox
) -> None:
    owner = await sign_up(client, name="Olga Owner")
    created = await create_org(client, owner, slug="acme-labs", metadata={"plan": "pro"})
    org_id = created["id"]
    assert set(created) == {"id", "name", "slug", "logo", "createdAt", "metadata", "members"}
    assert created["metadata"] == {"plan": "pro"}
    assert created["logo"] is None
    assert created["createdAt"].endswith("Z")
    [creator] = created["members"]
    assert set(creator) == {"id", "organizationId", "userId", "role", "createdAt"}
    assert (creator["userId"], creator["role"]) == (owner.user["id"], "owner")

    # The organization and its default team (named like it) became the session's active ones.
    active_org, active_team = await active_ids(client, owner)
    assert active_org == org_id
    teams = (await get(client, "list-teams", owner)).json()
    assert [(t["id"], t["name"]) for t in teams] == [(active_team, "Acme Labs")]
    assert set(teams[0]) == {"id", "name", "organizationId", "createdAt", "updatedAt"}
    assert teams[0]["updatedAt"] is None

    listed = (await get(client, "list", owner)).json()
    assert [(o["id"], o["metadata"]) for o in listed] == [(org_id, '{"plan":"pro"}')]
    taken = await post(client, "check-slug", owner, {"slug": "acme-labs"})
    refused(taken, 400, "ORGANIZATION_SLUG_ALREADY_TAKEN")
    assert (await post(client, "check-slug", owner, {"slug": "free-slug"})).json() == {
        "status": True
    }

    # Invite by email: the invitation waits 48 hours and the email carries the accept link.
    invitee_email = unique_email("invitee")
    sent = await invite(client, owner, org_id, invitee_email.upper(), "admin")
    assert sent.status_code == 200, sent.text
    invitation = sent.json()
    assert set(invitation) == {
        "id",
        "organizationId",
        "email",
        "role",
        "teamId",
        "status",
        "expiresAt",
        "createdAt",
        "inviterId",
    }
    assert (invitation["email"], invitation["role"], invitation["status"]) == (
        invitee_email,
        "admin",
        "pending",
    )
    assert invitation["inviterId"] == owner.user["id"]
    async with auth_app.state.db.transaction() as db:
        row = await db.get(Invitation, invitation["id"])
        assert row is not None
        assert row.expires_at - row.created_at == timedelta(hours=48)
    message = await mailbox.wait_for(invitee_email, "invited")
    assert link_in(message) == f"http://frontend.test/accept-invitation/{invitation['id']}"
    assert "Olga Owner" in body_of(message)
    assert "Acme Labs" in message["Subject"]

    # The invited user signs up, reads the invitation and accepts it.
    invitee = await sign_up(client, email=invitee_email, name="Ivan Invitee")
    detail = (await get(client, "get-invitation", invitee, id=invitation["id"])).json()
    assert detail["organizationName"] == "Acme Labs"
    assert detail["organizationSlug"] == "acme-labs"
    assert detail["inviterEmail"] == owner.email
    accepted = await post(client, "accept-invitation", invitee, {"invitationId": invitation["id"]})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["invitation"]["status"] == "accepted"
    assert accepted.json()["member"]["role"] == "admin"
    assert (await active_ids(client, invitee))[0] == org_id
    active_member = (await get(client, "get-active-member", invitee)).json()
    assert active_member["user"] == {
        "id": invitee.user["id"],
        "name": "Ivan Invitee",
        "email": invitee_email,
        "image": None,
    }
    assert (await get(client, "get-active-member-role", invitee)).json() == {"role": "admin"}
    again = await post(client, "accept-invitation", invitee, {"invitationId": invitation["id"]})
    refused(again, 400, "INVITATION_NOT_FOUND")

    # The full organization: members with their users, invitations (for admins), teams.
    snapshot = await full(client, owner, org_id)
    assert {m["user"]["email"]: m["role"] for m in snapshot["members"]} == {
        owner.email: "owner",
        invitee_email: "admin",
    }
    assert [i["status"] for i in snapshot["invitations"]] == ["accepted"]
    assert [t["memberCount"] for t in snapshot["teams"]] == [1]
    assert snapshot["metadata"] == '{"plan":"pro"}'
    by_slug = await get(client, "get-full-organization", invitee, organizationSlug="acme-labs")
    assert by_slug.json()["id"] == org_id
    members = (await get(client, "list-members", invitee)).json()
    assert members["total"] == 2
    assert [m["user"]["name"] for m in members["members"]] == ["Olga Owner", "Ivan Invitee"]

    # The admin invites a plain member, who then cannot see invitations.
    member = await join(client, invitee, org_id, "member")
    assert (await get(client, "get-active-member-role", member)).json() == {"role": "member"}
    assert (await full(client, member, org_id))["invitations"] == []
    assert (
        await post(client, "has-permission", member, {"permissions": {"member": ["create"]}})
    ).json() == {"error": None, "success": False}
    assert (
        await post(client, "has-permission", invitee, {"permissions": {"member": ["create"]}})
    ).json() == {"error": None, "success": True}

    # Roles: the owner promotes the member to admin, then back.
    member_id = member_of(await full(client, owner, org_id), member)["id"]
    promoted = await post(
        client, "update-member-role", owner, {"memberId": member_id, "role": "admin"}
    )
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["role"] == "admin"
    demoted = await post(
        client, "update-member-role", invitee, {"memberId": member_id, "role": ["member"]}
    )
    assert demoted.json()["role"] == "member"

    # Teams: the admin creates one, renames it and puts the member in it.
    team = (await post(client, "create-team", invitee, {"name": "Research"})).json()
    assert team["createdAt"] == team["updatedAt"]
    renamed = await post(
        client, "update-team", invitee, {"teamId": team["id"], "data": {"name": "R&D"}}
    )
    assert renamed.json()["name"] == "R&D"
    added = await post(
        client, "add-team-member", invitee, {"teamId": team["id"], "userId": member.user["id"]}
    )
    assert added.status_code == 200, added.text
    assert set(added.json()) == {"id", "teamId", "userId", "createdAt"}
    twice = await post(
        client, "add-team-member", invitee, {"teamId": team["id"], "userId": member.user["id"]}
    )
    assert twice.json()["id"] == added.json()["id"]
    listed_members = (await get(client, "list-team-members", member, teamId=team["id"])).json()
    assert [m["userId"] for m in listed_members] == [member.user["id"]]
    assert [t["name"] for t in (await get(client, "list-user-teams", member)).json()] == ["R&D"]
    set_team = await post(client, "set-active-team", member, {"teamId": team["id"]})
    assert set_team.json()["id"] == team["id"]
    assert (await active_ids(client, member))[1] == team["id"]
    async with auth_app.state.db.transaction() as db:
        row_key = (
            await db.execute(
                select(TeamMember.membership_key).where(TeamMember.id == added.json()["id"])
            )
        ).scalar_one()
        assert row_key == teams_service.membership_key(team["id"], member.user["id"])
    assert {t["name"]: t["memberCount"] for t in (await full(client, owner, org_id))["teams"]} == {
        "Acme Labs": 1,
        "R&D": 1,
    }
    removed_from_team = await post(
        client, "remove-team-member", invitee, {"teamId": team["id"], "userId": member.user["id"]}
    )
    assert removed_from_team.json() == {"message": "Team member removed successfully."}
    removed_team = await post(client, "remove-team", invitee, {"teamId": team["id"]})
    assert removed_team.json() == {"message": "Team removed successfully."}
    assert [t["name"] for t in (await get(client, "list-teams", owner)).json()] == ["Acme Labs"]

    # The member leaves; the owner removes the admin by email.
    left = await post(client, "leave", member, {"organizationId": org_id})
    assert left.status_code == 200, left.text
    assert left.json()["user"]["email"] == member.email
    assert await active_ids(client, member) == (None, team["id"])
    removed = await post(client, "remove-member", owner, {"memberIdOrEmail": invitee_email})
    assert removed.status_code == 200, removed.text
    assert removed.json()["member"]["userId"] == invitee.user["id"]
    final = await full(client, owner, org_id)
    assert [m["userId"] for m in final["members"]] == [owner.user["id"]]

    # The owner updates, then deletes the organization; it is gone for everyone.
    updated = await post(client, "update", owner, {"data": {"name": "Acme", "logo": "x.png"}})
    assert updated.json()["name"] == "Acme"
    assert updated.json()["metadata"] == {"plan": "pro"}
    deleted = await post(client, "delete", owner, {"organizationId": org_id})
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["id"] == org_id
    assert (await get(client, "list", owner)).json() == []
    assert await active_ids(client, owner) == (None, active_team)
    gone = await get(client, "get-full-organization", owner, organizationId=org_id)
    refused(gone, 400, "ORGANIZATION_NOT_FOUND")


async def test_create_without_metadata_and_keeping_the_active_organization(
    client: httpx.AsyncClient,
) -> None:
    owner = await sign_up(client)
    first = await create_org(client, owner)
    assert "metadata" not in first
    second = await create_org(client, owner, keepCurrentActiveOrganization=True)
    assert (await active_ids(client, owner))[0] == first["id"]
    switched = await post(client, "set-active", owner, {"organizationSlug": second["slug"]})
    assert switched.json()["id"] == second["id"]
    assert (await active_ids(client, owner))[0] == second["id"]
    assert (await post(client, "set-active", owner, {"organizationId": None})).json() is None
    assert (await active_ids(client, owner))[0] is None
    assert (await get(client, "get-full-organization", owner)).json() is None
    assert [o["id"] for o in (await get(client, "list", owner)).json()] == [
        first["id"],
        second["id"],
    ]


async def test_membership_key_matches_better_auth() -> None:
    # computed by better-auth 1.7.25 (findOrCreateTeamMember) for this team and user
    key = teams_service.membership_key(
        "Ui2ngoGhjxl1UbboLLLn8snSMkkfrWuq", "Mrt0hnLGFOZcjCNwADT3fZC0IrshEDfN"
    )
    assert key == "DNRa-5rLQgeAOiG_44if5godLjOdALQcRwsJ_Bx32-c"


async def test_member_role_for_later_issues(client: httpx.AsyncClient, auth_app: FastAPI) -> None:
    owner = await sign_up(client)
    org = await create_org(client, owner)
    member = await join(client, owner, org["id"])
    stranger = await sign_up(client)
    async with auth_app.state.db.transaction() as db:
        assert await teams_service.member_role(db, org["id"], owner.user["id"]) == "owner"
        assert await teams_service.member_role(db, org["id"], member.user["id"]) == "member"
        assert await teams_service.member_role(db, org["id"], stranger.user["id"]) is None
        assert await teams_service.member_role(db, "no-such-org", owner.user["id"]) is None


# ---- refusals (each leaves everything as it was)


async def test_no_session_is_401(client: httpx.AsyncClient) -> None:
    for path in ("list", "get-full-organization", "list-teams"):
        assert (await client.get(f"{ORG}/{path}")).status_code == 401
    response = await client.post(f"{ORG}/create", json={"name": "X", "slug": "x"})
    assert response.status_code == 401


async def test_cookie_changes_need_a_trusted_origin(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    body = {"name": "X", "slug": unique_email("o").split("@")[0]}
    cross_site = await client.post(
        f"{ORG}/create", json=body, headers={**owner.cookies, "Origin": "https://evil.example"}
    )
    assert cross_site.status_code == 403
    assert (await get(client, "list", owner)).json() == []
    same_site = await client.post(
        f"{ORG}/create", json=body, headers={**owner.cookies, "Origin": "http://frontend.test"}
    )
    assert same_site.status_code == 200


async def test_duplicate_slug_is_refused(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    org = await create_org(client, owner, slug="same-slug")
    other = await sign_up(client)
    response = await post(client, "create", other, {"name": "Copy", "slug": "same-slug"})
    refused(response, 400, "ORGANIZATION_ALREADY_EXISTS")
    assert (await get(client, "list", other)).json() == []
    assert await active_ids(client, other) == (None, None)
    second = await create_org(client, owner)
    renamed = await post(
        client, "update", owner, {"organizationId": second["id"], "data": {"slug": "same-slug"}}
    )
    refused(renamed, 400, "ORGANIZATION_SLUG_ALREADY_TAKEN")
    assert (await full(client, owner, second["id"]))["slug"] == second["slug"]
    assert (await full(client, owner, org["id"]))["slug"] == "same-slug"


async def test_non_members_cannot_read_or_change_an_organization(
    client: httpx.AsyncClient,
) -> None:
    owner = await sign_up(client)
    org = await create_org(client, owner)
    before = await full(client, owner, org["id"])
    stranger = await sign_up(client)
    own = await create_org(client, stranger)

    reads = {
        "get-full-organization": (403, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"),
        "get-organization": (403, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"),
        "list-members": (403, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION"),
        "get-active-member-role": (403, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION"),
        "list-invitations": (403, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION"),
        "list-teams": (403, "YOU_ARE_NOT_ALLOWED_TO_ACCESS_THIS_ORGANIZATION"),
    }
    for path, (status, code) in reads.items():
        response = await get(client, path, stranger, organizationId=org["id"])
        refused(response, status, code)
        assert org["slug"] not in response.text
        assert owner.email not in response.text
    by_slug = await get(client, "get-full-organization", stranger, organizationSlug=org["slug"])
    refused(by_slug, 403, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
    guessed = await get(client, "get-full-organization", stranger, organizationId="x" * 32)
    refused(guessed, 400, "ORGANIZATION_NOT_FOUND")
    team_id = before["teams"][0]["id"]
    team_members = await get(client, "list-team-members", stranger, teamId=team_id)
    refused(team_members, 400, "USER_IS_NOT_A_MEMBER_OF_THE_TEAM")

    # Better Auth clears the active organization of a caller refused as a non-member.
    assert (await active_ids(client, stranger))[0] is None
    refused(
        await post(client, "set-active", stranger, {"organizationId": org["id"]}),
        403,
        "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION",
    )
    assert (await active_ids(client, stranger))[0] is None
    assert (await full(client, stranger, own["id"]))["id"] == own["id"]

    writes = [
        ("update", {"organizationId": org["id"], "data": {"name": "Hijacked"}}, 400,
         "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"),
        ("delete", {"organizationId": org["id"]}, 400, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"),
        ("invite-member", {"organizationId": org["id"], "email": stranger.email, "role": "owner"},
         400, "MEMBER_NOT_FOUND"),
        ("remove-member", {"organizationId": org["id"], "memberIdOrEmail": owner.email}, 400,
         "MEMBER_NOT_FOUND"),
        ("create-team", {"organizationId": org["id"], "name": "Mine"}, 403,
         "YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION"),
        ("remove-team", {"organizationId": org["id"], "teamId": team_id}, 403,
         "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_TEAM"),
        ("add-team-member", {"organizationId": org["id"], "teamId": team_id,
                             "userId": stranger.user["id"]}, 400,
         "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"),
        ("leave", {"organizationId": org["id"]}, 400, "MEMBER_NOT_FOUND"),
    ]  # fmt: skip
    for path, body, status, code in writes:
        refused(await post(client, path, stranger, body), status, code)
    assert await full(client, owner, org["id"]) == before


async def test_member_cannot_invite_or_manage(client: httpx.AsyncClient, mailbox: Mailbox) -> None:
    owner = await sign_up(client)
    org = await create_org(client, owner)
    member = await join(client, owner, org["id"])
    before = await full(client, owner, org["id"])
    target = unique_email("nobody")

    refused(
        await invite(client, member, org["id"], target),
        403,
        "YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION",
    )
    refused(
        await post(client, "update", member, {"data": {"name": "Mine now"}}),
        403,
        "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_ORGANIZATION",
    )
    refused(
        await post(client, "delete", member, {"organizationId": org["id"]}),
        403,
        "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_ORGANIZATION",
    )
    refused(
        await post(client, "create-team", member, {"name": "Shadow"}),
        403,
        "YOU_ARE_NOT_ALLOWED_TO_CREATE_TEAMS_IN_THIS_ORGANIZATION",
    )
    refused(
        await post(client, "remove-member", member, {"memberIdOrEmail": owner.email}),
        400,
        "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER",
    )
    other = await join(client, owner, org["id"])
    before = await full(client, owner, org["id"])
    refused(
        await post(client, "remove-member", member, {"memberIdOrEmail": other.email}),
        401,
        "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER",
    )
    refused(
        await post(
            client,
            "update-member-role",
            member,
            {"memberId": member_of(before, member)["id"], "role": "admin"},
        ),
        403,
        "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER",
    )
    refused(
        await get(client, "list-invitations", member),
        403,
        "YOU_ARE_NOT_ALLOWED_TO_LIST_INVITATIONS",
    )
    assert await full(client, owner, org["id"]) == before
    await asyncio.sleep(0.2)
    assert mailbox.sent_to(target) == []


async def test_admin_cannot_touch_owners_or_delete(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    org = await create_org(client, owner)
    admin = await join(client, owner, org["id"], "admin")
    member = await join(client, owner, org["id"])
    before = await full(client, owner, org["id"])

    refused(
        await invite(client, admin, org["id"], unique_email(), "owner"),
        403,
        "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE",
    )
    refused(
        await invite(client, admin, org["id"], unique_email(), "emperor"),
        400,
        "ROLE_NOT_FOUND",
    )
    refused(
        await post(
            client,
            "update-member-role",
            admin,
            {"memberId": member_of(before, member)["id"], "role": "owner"},
        ),
        403,
        "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER",
    )
    refused(
        await post(
            client,
            "update-member-role",
            admin,
            {"memberId": member_of(before, owner)["id"], "role": "member"},
        ),
        403,
        "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER",
    )
    refused(
        await post(client, "remove-member", admin, {"memberIdOrEmail": owner.email}),
        400,
        "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER",
    )
    refused(
        await post(client, "delete", admin, {"organizationId": org["id"]}),
        403,
        "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_ORGANIZATION",
    )
    assert await full(client, owner, org["id"]) == before
    # what an admin may do: update the organization and remove a member by id
    assert (await post(client, "update", admin, {"data": {"name": "Renamed"}})).status_code == 200
    kicked = await post(
        client, "remove-member", admin, {"memberIdOrEmail": member_of(before, member)["id"]}
    )
    assert kicked.status_code == 200, kicked.text
    assert "user" not in kicked.json()["member"]


async def test_last_owner_cannot_leave_be_removed_or_step_down(
    client: httpx.AsyncClient,
) -> None:
    owner = await sign_up(client)
    org = await create_org(client, owner)
    await join(client, owner, org["id"], "admin")
    before = await full(client, owner, org["id"])
    owner_member = member_of(before, owner)

    refused(
        await post(client, "leave", owner, {"organizationId": org["id"]}),
        400,
        "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER",
    )
    refused(
        await post(client, "remove-member", owner, {"memberIdOrEmail": owner_member["id"]}),
        400,
        "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER",
    )
    refused(
        await post(
            client, "update-member-role", owner, {"memberId": owner_member["id"], "role": "admin"}
        ),
        400,
        "YOU_CANNOT_LEAVE_THE_ORGANIZATION_WITHOUT_AN_OWNER",
    )
    assert await full(client, owner, org["id"]) == before
    assert (await active_ids(client, owner))[0] == org["id"]

    # With a second owner, the first may leave.
    second = await join(client, owner, org["id"], "owner")
    left = await post(client, "leave", owner, {"organizationId": org["id"]})
    assert left.status_code == 200, left.text
    roles = {m["userId"]: m["role"] for m in (await full(client, second, org["id"]))["members"]}
    assert roles[second.user["id"]] == "owner"
    assert owner.user["id"] not in roles


async def test_invitation_refusals(client: httpx.AsyncClient, auth_app: FastAPI) -> None:
    owner = await sign_up(client)
    org = await create_org(client, owner)
    invited = await sign_up(client)
    someone_else = await sign_up(client)
    invitation = (await invite(client, owner, org["id"], invited.email)).json()
    before = await full(client, owner, org["id"])

    refused(
        await invite(client, owner, org["id"], invited.email),
        400,
        "USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION",
    )
    refused(await invite(client, owner, org["id"], owner.email), 400,
            "USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION")  # fmt: skip
    refused(await invite(client, owner, org["id"], "not an email"), 400, "INVALID_EMAIL")
    for path in ("accept-invitation", "reject-invitation"):
        refused(
            await post(client, path, someone_else, {"invitationId": invitation["id"]}),
            403,
            "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION",
        )
    refused(
        await get(client, "get-invitation", someone_else, id=invitation["id"]),
        403,
        "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION",
    )
    refused(
        await post(client, "cancel-invitation", someone_else, {"invitationId": invitation["id"]}),
        400,
        "MEMBER_NOT_FOUND",
    )
    refused(
        await post(client, "accept-invitation", invited, {"invitationId": "x" * 32}),
        400,
        "INVITATION_NOT_FOUND",
    )
    assert await full(client, owner, org["id"]) == before
    assert (await get(client, "list", someone_else)).json() == []

    # resend extends the pending invitation instead of adding one
    resent = await post(
        client,
        "invite-member",
        owner,
        {"email": invited.email, "role": "member", "resend": True},
    )
    assert resent.json()["id"] == invitation["id"]
    assert resent.json()["expiresAt"] >= invitation["expiresAt"]

    # expired: cannot be read or accepted, and no membership appears
    async with auth_app.state.db.transaction() as db:
        row = await db.get(Invitation, invitation["id"])
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
    before = await full(client, owner, org["id"])
    refused(
        await post(client, "accept-invitation", invited, {"invitationId": invitation["id"]}),
        400,
        "INVITATION_NOT_FOUND",
    )
    refused(
        await get(client, "get-invitation", invited, id=invitation["id"]),
        400,
        "INVITATION_NOT_FOUND",
    )
    assert await full(client, owner, org["id"]) == before
    assert (await get(client, "list", invited)).json() == []
    # an expired invitation no longer blocks a new one
    fresh = await invite(client, owner, org["id"], invited.email)
    assert fresh.status_code == 200, fresh.text


async def test_reject_cancel_and_list_invitations(
    client: httpx.AsyncClient, auth_app: FastAPI
) -> None:
    owner = await sign_up(client)
    org = await create_org(client, owner)
    admin = await join(client, owner, org["id"], "admin")
    invited = await sign_up(client)
    to_owner = (await invite(client, owner, org["id"], unique_email(), "owner")).json()
    to_reject = (await invite(client, owner, org["id"], invited.email)).json()

    # admins list invitations, but not those that would make someone an owner
    admin_view = (await get(client, "list-invitations", admin)).json()
    assert to_owner["id"] not in [i["id"] for i in admin_view]
    assert to_reject["id"] in [i["id"] for i in admin_view]
    owner_view = (await get(client, "list-invitations", owner)).json()
    assert {i["id"] for i in owner_view} >= {to_owner["id"], to_reject["id"]}

    refused(
        await get(client, "list-user-invitations", invited),
        403,
        "EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION",
    )
    async with auth_app.state.db.transaction() as db:
        user = await db.get(User, invited.user["id"])
        assert user is not None
        user.email_verified = True
    mine = (await get(client, "list-user-invitations", invited)).json()
    assert [(i["id"], i["organizationName"]) for i in mine] == [(to_reject["id"], "Acme Labs")]
    with_email = await get(client, "list-user-invitations", invited, email=owner.email)
    assert with_email.status_code == 400

    rejected = await post(client, "reject-invitation", invited, {"invitationId": to_reject["id"]})
    assert rejected.json()["member"] is None
    assert rejected.json()["invitation"]["status"] == "rejected"
    assert (await get(client, "list-user-invitations", invited)).json() == []
    refused(
        await post(client, "accept-invitation", invited, {"invitationId": to_reject["id"]}),
        400,
        "INVITATION_NOT_FOUND",
    )
    canceled = await post(client, "cancel-invitation", admin, {"invitationId": to_owner["id"]})
    assert canceled.json()["status"] == "canceled"


async def test_team_refusals(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    org = await create_org(client, owner)
    member = await join(client, owner, org["id"])
    outsider = await sign_up(client)
    [default_team] = (await get(client, "list-teams", owner)).json()
    before = await full(client, owner, org["id"])

    refused(
        await post(client, "remove-team", owner, {"teamId": default_team["id"]}),
        403,
        "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_TEAM",  # the caller's active team
    )
    await post(client, "set-active-team", owner, {"teamId": None})
    refused(
        await post(client, "remove-team", owner, {"teamId": default_team["id"]}),
        400,
        "UNABLE_TO_REMOVE_LAST_TEAM",
    )
    refused(
        await post(
            client,
            "update-team",
            member,
            {"teamId": default_team["id"], "data": {"name": "Taken over"}},
        ),
        403,
        "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_TEAM",
    )
    refused(
        await post(
            client,
            "add-team-member",
            member,
            {"teamId": default_team["id"], "userId": member.user["id"]},
        ),
        403,
        "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_TEAM_MEMBER",
    )
    refused(
        await post(
            client,
            "add-team-member",
            owner,
            {"teamId": default_team["id"], "userId": outsider.user["id"]},
        ),
        400,
        "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION",
    )
    refused(
        await post(
            client,
            "remove-team-member",
            owner,
            {"teamId": default_team["id"], "userId": member.user["id"]},
        ),
        400,
        "USER_IS_NOT_A_MEMBER_OF_THE_TEAM",
    )
    refused(
        await get(client, "list-team-members", member, teamId=default_team["id"]),
        400,
        "USER_IS_NOT_A_MEMBER_OF_THE_TEAM",
    )
    refused(
        await post(client, "set-active-team", member, {"teamId": default_team["id"]}),
        403,
        "USER_IS_NOT_A_MEMBER_OF_THE_TEAM",
    )
    refused(
        await post(client, "update-team", owner, {"teamId": "x" * 32, "data": {"name": "N"}}),
        400,
        "TEAM_NOT_FOUND",
    )
    refused(await get(client, "list-team-members", outsider), 400,
            "YOU_DO_NOT_HAVE_AN_ACTIVE_TEAM")  # fmt: skip
    assert await full(client, owner, org["id"]) == before


async def test_invitation_with_team_joins_it(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    org = await create_org(client, owner)
    team = (await post(client, "create-team", owner, {"name": "Design"})).json()
    invited = await sign_up(client)
    bad_team = await post(
        client,
        "invite-member",
        owner,
        {"email": invited.email, "role": "member", "teamId": "x" * 32},
    )
    refused(bad_team, 400, "TEAM_NOT_FOUND")
    invitation = (
        await post(
            client,
            "invite-member",
            owner,
            {"email": invited.email, "role": "member", "teamId": team["id"]},
        )
    ).json()
    assert invitation["teamId"] == team["id"]
    await post(client, "accept-invitation", invited, {"invitationId": invitation["id"]})
    assert await active_ids(client, invited) == (org["id"], team["id"])
    members = (await get(client, "list-team-members", invited)).json()
    assert [m["userId"] for m in members] == [invited.user["id"]]


async def test_requests_are_validated(client: httpx.AsyncClient, auth_app: FastAPI) -> None:
    owner = await sign_up(client)
    assert (await post(client, "create", owner, {"name": "", "slug": "s"})).status_code == 422
    assert (await post(client, "create", owner, {"slug": "s"})).status_code == 422
    both = {"permissions": {"member": ["create"]}, "permission": {"member": ["create"]}}
    assert (await post(client, "has-permission", owner, both)).status_code == 422
    refused(await post(client, "update", owner, {"data": {"name": "N"}}), 400,
            "ORGANIZATION_NOT_FOUND")  # fmt: skip
    refused(await get(client, "get-active-member", owner), 400, "NO_ACTIVE_ORGANIZATION")
    async with auth_app.state.db.transaction() as db:
        sessions = (
            await db.execute(select(Session).where(Session.user_id == owner.user["id"]))
        ).scalars()
        assert [s.active_organization_id for s in sessions] == [None]
