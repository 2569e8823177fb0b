"""The cross-service access matrix (issue 11), over real HTTP against real processes.

Auth and content run as processes on throwaway PostgreSQL databases, with a Celery worker
(and beat) on Redis and a Milvus Lite server, as in production. One "world" is built once:

- ``owner`` owns a team; the team owns a private dataset holding one indexed document (so
  document, chunk, job, source, version and review ids exist); ``team_member`` is a plain
  member of that team; ``admin`` is a site admin; ``other_user`` is another tenant with a
  private dataset of its own (indexed too), an API key and a session;
- keys are the owner's: ``key_read`` (scope read, no allowlist: the key without the scope
  for every change, since scopes are ordered read < write < admin), ``key_write`` (scope
  write, no allowlist), ``key_other_dataset`` (scope write, an allowlist naming another
  dataset), ``revoked_key`` (revoked before its first use, so no cache ever held it);
- ``expired_session`` is a session of the owner whose expiry was set in the past;
  ``banned_user`` was a member of the team, banned by the admin through the admin API.

``test_cell`` calls every operation (the ``OPERATIONS`` table) as every principal and checks
the documented answer (README: "Who may do what", Search and MCP, Ingestion, API keys,
Identity): a private dataset is 404 to outsiders, members read, the owner and team editors
change, admins do everything, keys need their scope (403 ``insufficient_scope``) and
allowlist, and a dead credential is 401. Changes run on objects made for the cell, so no
cell can spoil another. ``test_bola`` calls every id-taking operation with the other
tenant's ids as the owner and the owner's write key: the answer is the one ids that never
existed get (404; a key's checkout is refused before any lookup), never the object.
``test_every_operation_is_covered`` derives the operations from both services'
``/openapi.json`` and fails on one neither in the table nor excluded with a reason;
``test_internal_endpoints`` shows no user credential opens ``/internal/v1/*``.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import asyncpg
import httpx
import pytest
import redis

from fltr_auth.migration_spec import AUTH_MIGRATIONS
from fltr_content.migration_spec import CONTENT_MIGRATIONS
from fltr_content.vectors.chunks import chunk_id
from tests.auth.helpers import PASSWORD, unique_email
from tests.milvus_server import milvus_server, wait_for_port
from tests.support import (
    TEST_SERVICE_TOKEN,
    ServiceProcess,
    clean_env,
    console_script,
    free_port,
    service_database,
    wait_for_http,
)

pytestmark = pytest.mark.e2e

BROKER = "redis://127.0.0.1:6379/10"
INTERNAL = {"Authorization": f"Bearer {TEST_SERVICE_TOKEN}"}
DOC_TEXT = (
    "# Terns\n\nArctic terns migrate from pole to pole every year.\n\n"
    "## Feeding\n\nThey dive for small fish near the surface of the sea.\n"
)
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}
MCP_INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "matrix", "version": "1"},
    },
}

PRINCIPALS = (
    "anonymous",
    "other_user",
    "team_member",
    "owner",
    "admin",
    "key_read",
    "key_write",
    "key_other_dataset",
    "revoked_key",
    "expired_session",
    "banned_user",
)
KEYS = ("key_read", "key_write", "key_other_dataset")
DEAD = ("revoked_key", "expired_session", "banned_user")


# ---- the stack


@dataclass
class Stack:
    auth_url: str
    content_url: str
    auth_db: str


@pytest.fixture(scope="module")
async def databases(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[str, str]]:
    tmp = tmp_path_factory.mktemp("matrixdb")
    async with (
        service_database("fltr_auth_matrix", AUTH_MIGRATIONS, tmp) as auth_db,
        service_database("fltr_matrix", CONTENT_MIGRATIONS, tmp) as content_db,
    ):
        yield auth_db, content_db


@pytest.fixture(scope="module")
def stack(databases: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("matrix")
    redis.Redis.from_url(BROKER).flushdb()
    auth_db, content_db = databases
    auth_port, content_port = free_port(), free_port()
    auth_url = f"http://127.0.0.1:{auth_port}"
    content_url = f"http://127.0.0.1:{content_port}"
    milvus, milvus_url = milvus_server(tmp / "milvus.db", tmp / "milvus.log")
    common = {
        "VAR_DIR": str(tmp / "var"),
        "INTERNAL_SERVICE_TOKEN": TEST_SERVICE_TOKEN,
        "LOG_LEVEL": "WARNING",
    }
    content_env = clean_env(
        **common,
        DATABASE_URL=content_db,
        AUTH_SERVICE_URL=auth_url,
        MILVUS_URI=milvus_url,
        CELERY_BROKER_URL=BROKER,
        JOB_POLL_SECONDS="1",
        EMBEDDING_PROVIDER="hashing",  # no model to load: the matrix is about access
        USER_RATE_LIMIT_PER_MINUTE="100000",  # a thousand cells from a handful of users
        ALLOW_PRIVATE_URLS="true",  # documents:from-url fetches from the auth service here
    )
    auth = ServiceProcess(
        [console_script("fltr-auth"), "serve", "--port", str(auth_port)],
        clean_env(**common, DATABASE_URL=auth_db, SIGN_IN_RATE_LIMIT="100000/minute"),
        tmp / "auth.log",
    )
    content = ServiceProcess(
        [console_script("fltr-content"), "serve", "--port", str(content_port)],
        content_env,
        tmp / "content.log",
    )
    worker = ServiceProcess(
        [console_script("fltr-content"), "worker", "--beat", "--loglevel", "WARNING"],
        content_env,
        tmp / "worker.log",
    )
    with milvus:
        wait_for_port(milvus_url)
        with auth, content, worker:
            wait_for_http(f"{auth_url}/health", proc=auth)
            wait_for_http(f"{content_url}/health", proc=content, timeout=60)
            yield Stack(auth_url, content_url, auth_db)


# ---- the world


@dataclass
class World:
    stack: Stack
    http: httpx.Client
    headers: dict[str, dict[str, str]]  # principal -> its credential
    ids: dict[str, str]  # the world's objects (owner's side)
    other: dict[str, str]  # the other tenant's objects
    users: dict[str, str] = field(default_factory=dict)  # principal -> user id

    def url(self, service: str, path: str) -> str:
        return (self.stack.auth_url if service == "auth" else self.stack.content_url) + path

    def call(self, who: str, service: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers[who], **kwargs.pop("headers", {})}
        return self.http.request(method, self.url(service, path), headers=headers, **kwargs)

    def ok(self, who: str, service: str, method: str, path: str, **kwargs: Any) -> Any:
        """A setup call that must succeed; its JSON (or None)."""
        response = self.call(who, service, method, path, **kwargs)
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        return response.json() if response.content else None


def _sign_up(http: httpx.Client, stack: Stack, name: str) -> tuple[str, dict[str, str], str]:
    email = unique_email(name.lower().replace(" ", "-"))
    response = http.post(
        f"{stack.auth_url}/api/auth/sign-up/email",
        json={"email": email, "password": PASSWORD, "name": name},
    )
    assert response.status_code == 200, response.text
    http.cookies.clear()  # credentials are always explicit headers here
    return (
        response.json()["user"]["id"],
        {"Authorization": f"Bearer {response.headers['set-auth-token']}"},
        email,
    )


def _wait_job(world: World, who: str, job_id: str, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = world.ok(who, "content", "GET", f"/api/v1/jobs/{job_id}")
        if job["state"] in ("succeeded", "failed", "cancelled"):
            assert job["state"] == "succeeded", job
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.2)


def _indexed_dataset(world: World, who: str, name: str, **extra: Any) -> dict[str, str]:
    """A private dataset with one indexed document, a source, a published version."""
    made = world.ok(
        who,
        "content",
        "POST",
        "/api/v1/datasets",
        json={"name": name, "visibility": "private", **extra},
    )
    slug = made["slug"]
    uploaded = world.ok(
        who,
        "content",
        "POST",
        f"/api/v1/datasets/{slug}/documents",
        files=[("files", ("terns.md", DOC_TEXT.encode()))],
    )
    document = uploaded["documents"][0]
    _wait_job(world, who, document["job_id"])
    source = world.ok(
        who,
        "content",
        "POST",
        f"/api/v1/datasets/{slug}/sources",
        json={"type": "url", "name": "Field notes", "url": "https://example.com/terns"},
    )
    world.ok(who, "content", "POST", f"/api/v1/datasets/{slug}/versions", json={"version": "1.0.0"})
    return {
        "ds": slug,
        "ds_id": made["id"],
        "doc": document["id"],
        "job": document["job_id"],
        "chunk": chunk_id(document["id"], 0),
        "source": source["id"],
        "version": "1.0.0",
    }


def _auth_sql(stack: Stack, statement: str, *args: Any) -> None:
    """Test setup only (no API makes an admin or ages a session)."""

    async def run() -> None:
        dsn = stack.auth_db.replace("postgresql+asyncpg://", "postgresql://")
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(statement, *args)
        finally:
            await conn.close()

    asyncio.run(run())


def _new_key(world: World, who: str, **body: Any) -> dict[str, Any]:
    made: dict[str, Any] = world.ok(
        who,
        "auth",
        "POST",
        "/api/v1/api-keys",
        json={"name": "matrix", "rate_limit_per_minute": 10000, **body},
    )
    return made


def _grant(world: World, user_id: str) -> None:
    granted = world.http.post(
        world.url("auth", "/internal/v1/credits/grant"),
        json={
            "user_id": user_id,
            "amount": 100000,
            "idempotency_key": f"grant-{uuid.uuid4()}",
            "reason": "matrix",
        },
        headers=INTERNAL,
    )
    assert granted.status_code == 200, granted.text


@pytest.fixture(scope="module")
def world(stack: Stack) -> Iterator[World]:
    # a jar that keeps no cookie: every cell presents exactly its principal's credential
    jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    with httpx.Client(timeout=60, cookies=jar) as http:
        headers: dict[str, dict[str, str]] = {"anonymous": {}}
        users: dict[str, str] = {}
        emails: dict[str, str] = {}
        for who in ("owner", "team_member", "admin", "other_user", "banned_user"):
            users[who], headers[who], emails[who] = _sign_up(http, stack, who.replace("_", " "))
        w = World(stack, http, headers, {}, {}, users)
        # the admin is promoted before it ever reaches the content service
        _auth_sql(stack, "UPDATE users SET role = 'admin' WHERE id = $1", users["admin"])
        for who in ("owner", "team_member", "admin", "other_user"):
            _grant(w, users[who])

        team = w.ok(
            "owner",
            "auth",
            "POST",
            "/api/auth/organization/create",
            json={"name": "Tern Lab", "slug": f"tern-lab-{uuid.uuid4().hex[:8]}"},
        )
        for who in ("team_member", "banned_user"):
            invitation = w.ok(
                "owner",
                "auth",
                "POST",
                "/api/auth/organization/invite-member",
                json={"email": emails[who], "role": "member", "organizationId": team["id"]},
            )
            w.ok(
                who,
                "auth",
                "POST",
                "/api/auth/organization/accept-invitation",
                json={"invitationId": invitation["id"]},
            )
        full = w.ok(
            "owner",
            "auth",
            "GET",
            "/api/auth/organization/get-full-organization",
            params={"organizationId": team["id"]},
        )
        members = {m["userId"]: m["id"] for m in full["members"]}
        teams = w.ok(
            "owner",
            "auth",
            "GET",
            "/api/auth/organization/list-teams",
            params={"organizationId": team["id"]},
        )

        w.ids = _indexed_dataset(w, "owner", "Tern Notes", team_id=team["id"])
        w.other = _indexed_dataset(w, "other_user", "Other Tenant")
        # a review of each dataset: the team's by its member, the other tenant's by the admin
        # (nobody reviews their own dataset)
        review = w.ok(
            "team_member",
            "content",
            "PUT",
            f"/api/v1/datasets/{w.ids['ds']}/reviews",
            json={"rating": 5, "title": "Good"},
        )
        other_review = w.ok(
            "admin",
            "content",
            "PUT",
            f"/api/v1/datasets/{w.other['ds']}/reviews",
            json={"rating": 4, "title": "Fine"},
        )
        owner_key = _new_key(w, "owner", scopes=["read"])
        other_key = _new_key(w, "other_user", scopes=["read"])
        unrelated = w.ok("admin", "content", "POST", "/api/v1/datasets", json={"name": "Elsewhere"})
        headers["key_read"] = {"X-API-Key": owner_key["key"]}
        headers["key_write"] = {"X-API-Key": _new_key(w, "owner", scopes=["write"])["key"]}
        headers["key_other_dataset"] = {
            "X-API-Key": _new_key(w, "owner", scopes=["write"], datasets=[unrelated["id"]])["key"]
        }
        revoked = _new_key(w, "owner", scopes=["write"])
        w.ok("owner", "auth", "DELETE", f"/api/v1/api-keys/{revoked['id']}")
        headers["revoked_key"] = {"X-API-Key": revoked["key"]}

        # a second session of the owner, aged past its expiry before it is ever used
        signed_in = http.post(
            f"{stack.auth_url}/api/auth/sign-in/email",
            json={"email": emails["owner"], "password": PASSWORD},
        )
        assert signed_in.status_code == 200, signed_in.text
        http.cookies.clear()
        _auth_sql(
            stack,
            "UPDATE sessions SET expires_at = now() - interval '1 minute' WHERE token = $1",
            signed_in.json()["token"],
        )
        headers["expired_session"] = {
            "Authorization": f"Bearer {signed_in.headers['set-auth-token']}"
        }
        w.ok(
            "admin",
            "auth",
            "POST",
            "/api/auth/admin/ban-user",
            json={"userId": users["banned_user"]},
        )

        # a bystander whose session every principal tries to revoke by its token
        _, headers["victim"], _ = _sign_up(http, stack, "Victim")
        victim = w.ok("victim", "auth", "GET", "/api/auth/get-session")
        w.ids.update(
            team=team["id"],
            team_slug=team["slug"],
            subteam=teams[0]["id"],
            member=members[users["team_member"]],
            review=review["id"],
            key=owner_key["id"],
            user=users["owner"],
            member_user=users["team_member"],
        )
        w.other.update(
            review=other_review["id"],
            key=other_key["id"],
            session_token=victim["session"]["token"],
            user=users["other_user"],
        )
        yield w


# ---- expectations


Expect = int | tuple[int, str]
Table = dict[str, Expect]


def _profile(**given: Expect) -> Table:
    """Every principal's answer: what is given, dead credentials 401."""
    table: Table = dict.fromkeys(DEAD, 401)
    table.update(given)
    missing = set(PRINCIPALS) - set(table)
    assert not missing, missing
    return table


def read(ok: int = 200, anonymous: Expect = 404) -> Table:
    """Reading the team's private dataset (or what hangs off it): members, owner, admin and
    keys without an allowlist read it; everyone else is told it does not exist."""
    return _profile(
        anonymous=anonymous,
        other_user=404,
        team_member=ok,
        owner=ok,
        admin=ok,
        key_read=ok,
        key_write=ok,
        key_other_dataset=404,
    )


def edit(
    ok: int = 200, member: Expect = 403, key_read: Expect = (403, "insufficient_scope")
) -> Table:
    """Changing the team's private dataset: the team's owner (and admins), keys at write."""
    return _profile(
        anonymous=401,
        other_user=404,
        team_member=member,
        owner=ok,
        admin=ok,
        key_read=key_read,
        key_write=ok,
        key_other_dataset=404,
    )


def content_read(ok: int = 200) -> Table:
    """Search, chunks, MCP: a credential is required; the allowlist refusal is a 403 since
    the key's owner can see the dataset (README, Search and MCP: Access)."""
    return _profile(
        anonymous=401,
        other_user=404,
        team_member=ok,
        owner=ok,
        admin=ok,
        key_read=ok,
        key_write=ok,
        key_other_dataset=(403, "dataset_not_allowed"),
    )


def signed_in(ok: int = 200, keys: Expect = 200) -> Table:
    """Anything about the caller's own account on the content service."""
    return _profile(
        anonymous=401,
        other_user=ok,
        team_member=ok,
        owner=ok,
        admin=ok,
        **dict.fromkeys(KEYS, keys),
    )


def session_only(ok: Expect = 200, **override: Expect) -> Table:
    """The auth service's own-account endpoints take sessions, not API keys."""
    table = _profile(
        anonymous=401,
        other_user=ok,
        team_member=ok,
        owner=ok,
        admin=ok,
        **dict.fromkeys(KEYS, 401),
    )
    table.update(override)
    return table


# README, Billing: "503 billing_disabled without STRIPE_SECRET_KEY" - to everyone, before
# anything is looked up (so the answer reveals nothing about any account)
BILLING_OFF: Table = dict.fromkeys(PRINCIPALS, (503, "billing_disabled"))


# ---- calls


@dataclass(frozen=True)
class Call:
    path: str
    json: Any = None
    params: dict[str, Any] | None = None
    files: list[tuple[str, tuple[str, bytes]]] | None = None
    headers: dict[str, str] | None = None


Prepare = Callable[[World, str], Call]


@dataclass(frozen=True)
class Op:
    service: str
    method: str
    template: str  # as in the service's OpenAPI document
    expect: Table
    prepare: Prepare | None = None  # default: the template filled from the world's ids
    label: str = ""
    check: Callable[[World, str, httpx.Response], None] | None = None

    @property
    def id(self) -> str:
        return f"{self.service}:{self.method}:{self.template}{self.label}"


def _fill(template: str, ids: dict[str, str]) -> str:
    mapping = {
        "slug_or_id": ids["ds"],
        "slug": ids["ds"],
        "ref": ids["ds"],
        "document_id": ids["doc"],
        "job_id": ids["job"],
        "chunk_id": ids["chunk"],
        "source_id": ids["source"],
        "version": ids["version"],
        "review_id": ids["review"],
        "api_key_id": ids["key"],
    }
    return re.sub(r"\{(\w+)\}", lambda m: mapping[m.group(1)], template)


def fresh_dataset(world: World, **extra: Any) -> dict[str, Any]:
    """A private dataset of the owner's team, made for one cell."""
    made: dict[str, Any] = world.ok(
        "owner",
        "content",
        "POST",
        "/api/v1/datasets",
        json={
            "name": f"Cell {uuid.uuid4().hex[:6]}",
            "visibility": "private",
            "team_id": world.ids["team"],
            **extra,
        },
    )
    return made


def fresh_upload(world: World, slug: str) -> dict[str, Any]:
    uploaded = world.ok(
        "owner",
        "content",
        "POST",
        f"/api/v1/datasets/{slug}/documents",
        files=[("files", (f"{uuid.uuid4().hex}.md", f"# Note {uuid.uuid4()}\n\nText.".encode()))],
    )
    document: dict[str, Any] = uploaded["documents"][0]
    return document


def on_fresh_dataset(suffix: str, **body: Any) -> Prepare:
    def prepare(world: World, who: str) -> Call:
        slug = fresh_dataset(world)["slug"]
        return Call(f"/api/v1/datasets/{slug}{suffix}", json=body or None)

    return prepare


def deleted_dataset(world: World, who: str) -> Call:
    slug = fresh_dataset(world)["slug"]
    world.ok("owner", "content", "DELETE", f"/api/v1/datasets/{slug}")
    return Call(f"/api/v1/datasets/{slug}:restore")


def fresh_source(world: World, who: str) -> Call:
    source = world.ok(
        "owner",
        "content",
        "POST",
        f"/api/v1/datasets/{world.ids['ds']}/sources",
        json={"type": "manual", "name": "Throwaway"},
    )
    return Call(f"/api/v1/datasets/{world.ids['ds']}/sources/{source['id']}")


def fresh_document(world: World, who: str) -> Call:
    slug = fresh_dataset(world)["slug"]
    document = fresh_upload(world, slug)
    return Call(f"/api/v1/datasets/{slug}/documents/{document['id']}")


def fresh_job_cancel(world: World, who: str) -> Call:
    slug = fresh_dataset(world)["slug"]
    document = fresh_upload(world, slug)
    return Call(f"/api/v1/jobs/{document['job_id']}/cancel")


def upload(world: World, who: str) -> Call:
    slug = fresh_dataset(world)["slug"]
    return Call(
        f"/api/v1/datasets/{slug}/documents",
        files=[("files", ("cell.md", f"# Cell\n\n{uuid.uuid4()}".encode()))],
    )


def from_url(world: World, who: str) -> Call:
    slug = fresh_dataset(world)["slug"]
    return Call(
        f"/api/v1/datasets/{slug}/documents:from-url",
        json={"url": f"{world.stack.auth_url}/api/auth/jwks", "filename": "jwks.json"},
    )


def fresh_key(world: World, who: str) -> Call:
    return Call(f"/api/v1/api-keys/{_new_key(world, 'owner')['id']}")


def my_review(world: World, who: str) -> Call:
    # the member's review of a dataset made for the cell: "mine" is the caller's own, so the
    # refusals (who may see the dataset) are what the cell checks
    slug = fresh_dataset(world)["slug"]
    if who in ("team_member",):
        world.ok(who, "content", "PUT", f"/api/v1/datasets/{slug}/reviews", json={"rating": 3})
    return Call(f"/api/v1/datasets/{slug}/reviews/mine")


def fresh_org(world: World, who: str) -> Call:
    org = world.ok(
        "owner",
        "auth",
        "POST",
        "/api/auth/organization/create",
        json={"name": "Throwaway", "slug": f"throwaway-{uuid.uuid4().hex[:8]}"},
    )
    # creating a team made it the owner's active one: the world's team is active again
    world.ok(
        "owner",
        "auth",
        "POST",
        "/api/auth/organization/set-active",
        json={"organizationId": world.ids["team"]},
    )
    return Call("/api/auth/organization/delete", json={"organizationId": org["id"]})


def throwaway_user(action: str, **body: Any) -> Prepare:
    def prepare(world: World, who: str) -> Call:
        user_id, _, _ = _sign_up(world.http, world.stack, "Throwaway")
        return Call(f"/api/auth/admin/{action}", json={"userId": user_id, **body})

    return prepare


def org(path: str, method: str = "POST", **body: Any) -> Prepare:
    """An organization call on the world's team (``{team}``/``{member}``... filled in)."""

    def prepare(world: World, who: str) -> Call:
        filled = {k: (v.format(**world.ids) if isinstance(v, str) else v) for k, v in body.items()}
        if method == "GET":
            return Call(f"/api/auth/organization/{path}", params=filled)
        return Call(f"/api/auth/organization/{path}", json=filled)

    return prepare


def with_invitation(path: str, key: str, method: str = "POST") -> Prepare:
    def prepare(world: World, who: str) -> Call:
        invitation = world.ok(
            "owner",
            "auth",
            "POST",
            "/api/auth/organization/invite-member",
            json={
                "email": unique_email("invitee"),
                "role": "member",
                "organizationId": world.ids["team"],
            },
        )
        if method == "GET":
            return Call(f"/api/auth/organization/{path}", params={key: invitation["id"]})
        return Call(f"/api/auth/organization/{path}", json={key: invitation["id"]})

    return prepare


def fresh_subteam(path: str) -> Prepare:
    def prepare(world: World, who: str) -> Call:
        made = world.ok(
            "owner",
            "auth",
            "POST",
            "/api/auth/organization/create-team",
            json={"name": f"Sub {uuid.uuid4().hex[:6]}", "organizationId": world.ids["team"]},
        )
        body: dict[str, Any] = {"teamId": made["id"], "organizationId": world.ids["team"]}
        if path == "update-team":
            body = {"teamId": made["id"], "data": {"name": "Renamed"}}
        return Call(f"/api/auth/organization/{path}", json=body)

    return prepare


def fresh_member(path: str) -> Prepare:
    def prepare(world: World, who: str) -> Call:
        user_id, headers, email = _sign_up(world.http, world.stack, "Extra Member")
        invitation = world.ok(
            "owner",
            "auth",
            "POST",
            "/api/auth/organization/invite-member",
            json={"email": email, "role": "member", "organizationId": world.ids["team"]},
        )
        accepted = world.http.post(
            world.url("auth", "/api/auth/organization/accept-invitation"),
            json={"invitationId": invitation["id"]},
            headers=headers,
        )
        assert accepted.status_code == 200, accepted.text
        member = accepted.json()["member"]["id"]
        body: dict[str, Any] = {"organizationId": world.ids["team"]}
        if path == "remove-member":
            body["memberIdOrEmail"] = member
        elif path == "update-member-role":
            body.update(memberId=member, role="admin")
        elif path in ("add-team-member", "remove-team-member"):
            body = {"teamId": world.ids["subteam"], "userId": user_id}
            if path == "remove-team-member":
                world.ok(
                    "owner",
                    "auth",
                    "POST",
                    "/api/auth/organization/add-team-member",
                    json=body,
                )
        return Call(f"/api/auth/organization/{path}", json=body)

    return prepare


def revoke_victim_session(world: World, who: str) -> Call:
    """revoke-session names another user's session token: it must stay alive."""
    return Call("/api/auth/revoke-session", json={"token": world.other["session_token"]})


def victim_session_alive(world: World, who: str, response: httpx.Response) -> None:
    alive = world.call("victim", "auth", "GET", "/api/auth/get-session")
    assert alive.status_code == 200, alive.text
    assert alive.json() is not None, "another user's session was revoked"


def listed(world: World, who: str, response: httpx.Response) -> None:
    """The browse listing shows the private team dataset exactly to those who may read it."""
    if response.status_code != 200:
        return
    ids = [item["id"] for item in response.json()["items"]]
    assert (world.ids["ds_id"] in ids) is (read()[who] == 200), (who, ids)


def session_body(world: World, who: str, response: httpx.Response) -> None:
    """get-session answers null (200) for no or a dead session, the caller's own otherwise."""
    body = response.json()
    if who in ("anonymous", *KEYS, *DEAD):
        assert body is None, body
    else:
        assert body["user"]["id"] == world.users[who], body


def search_call(world: World, who: str) -> Call:
    return Call(
        f"/api/v1/datasets/{world.ids['ds']}/search", json={"query": "arctic terns", "top_k": 3}
    )


def found_the_document(world: World, who: str, response: httpx.Response) -> None:
    if response.status_code == 200:
        hits = response.json()["results"]
        assert hits, response.text
        assert hits[0]["document_id"] == world.ids["doc"], hits


# Better Auth's organization plugin answers outsiders (not members of the team) with 400s
# naming what is missing; FLTR keeps its codes (tests/compat proves them against the real one)
OUTSIDER: Expect = (400, "user_is_not_a_member_of_the_organization")
NO_MEMBER: Expect = (400, "member_not_found")
NO_ACTIVE: Expect = (400, "no_active_organization")

OPERATIONS: list[Op] = [
    # ---- content: the caller
    Op("content", "GET", "/api/v1/me", signed_in()),
    Op("content", "GET", "/api/v1/credits/balance", signed_in()),
    Op("content", "GET", "/api/v1/credits/transactions", signed_in()),
    Op("content", "GET", "/api/v1/usage", signed_in()),
    # ---- content: datasets
    Op(
        "content",
        "GET",
        "/api/v1/datasets",
        _profile(**dict.fromkeys(PRINCIPALS, 200)) | dict.fromkeys(DEAD, 401),
        prepare=lambda w, who: Call("/api/v1/datasets", params={"owner": w.ids["team"]}),
        check=listed,
    ),
    Op("content", "GET", "/api/v1/datasets/{slug_or_id}", read()),
    Op(
        "content",
        "POST",
        "/api/v1/datasets",
        signed_in(201, keys=201) | {"key_read": (403, "insufficient_scope")},
        prepare=lambda w, who: Call("/api/v1/datasets", json={"name": "Made In A Cell"}),
    ),
    Op(
        "content",
        "POST",
        "/api/v1/datasets",
        _profile(
            anonymous=401,
            other_user=(403, "not_team_admin"),
            team_member=(403, "not_team_admin"),
            owner=201,
            admin=(403, "not_team_admin"),  # a site admin is not the team's admin
            key_read=(403, "insufficient_scope"),
            key_write=201,
            key_other_dataset=201,
        ),
        prepare=lambda w, who: Call(
            "/api/v1/datasets", json={"name": "Team Cell", "team_id": w.ids["team"]}
        ),
        label="#team",
    ),
    Op(
        "content",
        "PATCH",
        "/api/v1/datasets/{slug_or_id}",
        edit(),
        prepare=on_fresh_dataset("", description="changed"),
    ),
    Op(
        "content",
        "DELETE",
        "/api/v1/datasets/{slug_or_id}",
        edit(204),
        prepare=on_fresh_dataset(""),
    ),
    # a deleted dataset is gone to everyone who could not delete it
    Op(
        "content",
        "POST",
        "/api/v1/datasets/{slug_or_id}:restore",
        edit(member=404, key_read=404),
        prepare=deleted_dataset,
    ),
    # ---- versions
    Op("content", "GET", "/api/v1/datasets/{slug_or_id}/versions", read()),
    Op("content", "GET", "/api/v1/datasets/{slug_or_id}/versions/{version}", read()),
    Op(
        "content",
        "POST",
        "/api/v1/datasets/{slug_or_id}/versions",
        edit(201),
        prepare=on_fresh_dataset("/versions", version="1.0.0"),
    ),
    Op(
        "content",
        "PATCH",
        "/api/v1/datasets/{slug_or_id}/versions/active",
        edit(),
        prepare=on_fresh_dataset("/versions/active", version="draft"),
    ),
    # ---- sources
    Op("content", "GET", "/api/v1/datasets/{slug_or_id}/sources", read()),
    Op("content", "GET", "/api/v1/datasets/{slug_or_id}/sources/{source_id}", read()),
    Op(
        "content",
        "POST",
        "/api/v1/datasets/{slug_or_id}/sources",
        edit(201),
        prepare=on_fresh_dataset("/sources", type="manual", name="Cell"),
    ),
    Op(
        "content",
        "PATCH",
        "/api/v1/datasets/{slug_or_id}/sources/{source_id}",
        edit(),
        prepare=lambda w, who: Call(fresh_source(w, who).path, json={"name": "Renamed"}),
    ),
    Op(
        "content",
        "DELETE",
        "/api/v1/datasets/{slug_or_id}/sources/{source_id}",
        edit(204),
        prepare=fresh_source,
    ),
    # ---- audit, usage of a dataset, MCP configuration
    # editors' reads: the edit right, which a read-only key lacks
    Op("content", "GET", "/api/v1/datasets/{slug_or_id}/audit", edit()),
    Op("content", "GET", "/api/v1/datasets/{slug_or_id}/usage", edit()),
    Op("content", "GET", "/api/v1/datasets/{ref}/mcp", read()),
    # ---- documents
    Op("content", "GET", "/api/v1/datasets/{ref}/documents", read()),
    Op("content", "GET", "/api/v1/datasets/{ref}/documents/{document_id}", read()),
    Op(
        "content",
        "DELETE",
        "/api/v1/datasets/{ref}/documents/{document_id}",
        edit(204),
        prepare=fresh_document,
    ),
    Op("content", "POST", "/api/v1/datasets/{ref}/documents", edit(202), prepare=upload),
    Op("content", "POST", "/api/v1/datasets/{ref}/documents:from-url", edit(202), prepare=from_url),
    Op(
        "content",
        "POST",
        "/api/v1/datasets/{ref}/reembed",
        edit(202),
        prepare=on_fresh_dataset("/reembed"),
    ),
    # ---- jobs: a job is the dataset's editors' (404 to anyone else, members and a read-only
    # key included); the dataset's job list is 403 to those who see the dataset
    Op("content", "GET", "/api/v1/jobs/{job_id}", edit(member=404, key_read=404)),
    Op("content", "GET", "/api/v1/jobs/{job_id}/events", edit(member=404, key_read=404)),
    Op("content", "GET", "/api/v1/datasets/{ref}/jobs", edit()),
    Op(
        "content",
        "POST",
        "/api/v1/jobs/{job_id}/cancel",
        edit(member=404, key_read=404),
        prepare=fresh_job_cancel,
    ),
    # ---- search, chunks, MCP
    Op(
        "content",
        "POST",
        "/api/v1/datasets/{ref}/search",
        content_read(),
        prepare=search_call,
        check=found_the_document,
    ),
    Op(
        "content",
        "POST",
        "/api/v1/search",
        content_read(),
        prepare=lambda w, who: Call(
            "/api/v1/search", json={"datasets": [w.ids["ds"]], "query": "arctic terns"}
        ),
        check=found_the_document,
    ),
    Op("content", "GET", "/api/v1/datasets/{ref}/chunks/{chunk_id}", content_read()),
    Op(
        "content",
        "POST",
        "/mcp/{ref}",
        content_read(),
        prepare=lambda w, who: Call(f"/mcp/{w.ids['ds']}", json=MCP_INIT, headers=MCP_HEADERS),
    ),
    # ---- reviews
    Op("content", "GET", "/api/v1/datasets/{slug_or_id}/reviews", read()),
    Op(
        "content",
        "PUT",
        "/api/v1/datasets/{slug_or_id}/reviews",
        # a reader at write scope reviews; the team's owner (an editor) may not: own_dataset
        read(ok=201, anonymous=401)
        | {
            "key_read": (403, "insufficient_scope"),
            "owner": (403, "own_dataset"),
            "key_write": (403, "own_dataset"),
        },
        prepare=on_fresh_dataset("/reviews", rating=4),
    ),
    Op(
        "content",
        "DELETE",
        "/api/v1/datasets/{slug_or_id}/reviews/mine",
        edit(ok=(404, "review_not_found"), member=204, key_read=(404, "review_not_found")),
        prepare=my_review,
    ),
    Op(
        "content",
        "POST",
        "/api/v1/reviews/{review_id}/helpful",
        read(anonymous=401)
        | {"team_member": (403, "own_review"), "key_read": (403, "insufficient_scope")},
    ),
    # ---- checkout: billing is off in this stack
    Op(
        "content",
        "POST",
        "/api/v1/datasets/{slug}/checkout",
        # keys never buy; people who can see the dataset reach the (switched off) billing
        read(ok=(503, "billing_disabled"), anonymous=401) | dict.fromkeys(KEYS, (403, "forbidden")),
        prepare=lambda w, who: Call(f"/api/v1/datasets/{w.ids['ds']}/checkout", json={}),
    ),
    # ---- auth: credits, API keys, billing
    Op("auth", "GET", "/api/v1/credits/balance", session_only()),
    Op("auth", "GET", "/api/v1/credits/transactions", session_only()),
    Op("auth", "GET", "/api/v1/api-keys", session_only()),
    Op(
        "auth",
        "POST",
        "/api/v1/api-keys",
        session_only(201),
        prepare=lambda w, who: Call("/api/v1/api-keys", json={"name": "cell"}),
    ),
    Op("auth", "GET", "/api/v1/api-keys/{api_key_id}", session_only(404, owner=200)),
    Op(
        "auth",
        "PATCH",
        "/api/v1/api-keys/{api_key_id}",
        session_only(404, owner=200),
        prepare=lambda w, who: Call(fresh_key(w, who).path, json={"name": "renamed"}),
    ),
    Op(
        "auth",
        "DELETE",
        "/api/v1/api-keys/{api_key_id}",
        session_only(404, owner=200),  # the revoked key's record
        prepare=fresh_key,
    ),
    Op(
        "auth",
        "POST",
        "/api/v1/billing/checkout",
        BILLING_OFF,
        prepare=lambda w, who: Call(
            "/api/v1/billing/checkout", json={"kind": "credit_pack", "pack": "starter"}
        ),
    ),
    Op("auth", "POST", "/api/v1/billing/portal", BILLING_OFF),
    Op("auth", "GET", "/api/v1/billing/subscriptions", BILLING_OFF),
    Op("auth", "GET", "/api/v1/billing/usage", BILLING_OFF),
    Op("auth", "GET", "/api/v1/billing/earnings", BILLING_OFF),
    # ---- auth: sessions and the caller's account
    Op(
        "auth",
        "GET",
        "/api/auth/get-session",
        _profile(**dict.fromkeys(PRINCIPALS, 200)),
        check=session_body,
    ),
    Op("auth", "GET", "/api/auth/list-sessions", session_only()),
    Op(
        "auth",
        "POST",
        "/api/auth/revoke-session",
        session_only(),
        prepare=revoke_victim_session,
        check=victim_session_alive,
    ),
    Op("auth", "GET", "/api/auth/token", session_only()),
    Op(
        "auth",
        "POST",
        "/api/auth/update-user",
        session_only(),
        prepare=lambda w, who: Call("/api/auth/update-user", json={"image": None}),
    ),
    # ---- auth: admin
    Op("auth", "GET", "/api/auth/admin/list-users", session_only(403, admin=200)),
    Op(
        "auth",
        "POST",
        "/api/auth/admin/set-role",
        session_only(403, admin=200),
        prepare=throwaway_user("set-role", role="curator"),
    ),
    Op(
        "auth",
        "POST",
        "/api/auth/admin/ban-user",
        session_only(403, admin=200),
        prepare=throwaway_user("ban-user"),
    ),
    Op(
        "auth",
        "POST",
        "/api/auth/admin/unban-user",
        session_only(403, admin=200),
        prepare=throwaway_user("unban-user"),
    ),
    Op(
        "auth",
        "POST",
        "/api/auth/admin/update-user",
        session_only(403, admin=200),
        prepare=throwaway_user("update-user", data={"name": "Renamed"}),
    ),
    # ---- auth: the team (organization plugin)
    Op(
        "auth",
        "GET",
        "/api/auth/organization/get-full-organization",
        session_only(403, team_member=200, owner=200),
        prepare=org("get-full-organization", "GET", organizationId="{team}"),
    ),
    Op(
        "auth",
        "GET",
        "/api/auth/organization/get-organization",
        session_only(403, team_member=200, owner=200),
        prepare=org("get-organization", "GET", organizationId="{team}"),
    ),
    Op(
        "auth",
        "GET",
        "/api/auth/organization/list-members",
        session_only(403, team_member=200, owner=200),
        prepare=org("list-members", "GET", organizationId="{team}"),
    ),
    Op(
        "auth",
        "GET",
        "/api/auth/organization/list-invitations",
        session_only(403, owner=200),
        prepare=org("list-invitations", "GET", organizationId="{team}"),
    ),
    Op(
        "auth",
        "GET",
        "/api/auth/organization/list-teams",
        session_only(403, team_member=200, owner=200),
        prepare=org("list-teams", "GET", organizationId="{team}"),
    ),
    Op(
        "auth",
        "GET",
        "/api/auth/organization/list-team-members",
        session_only((400, "user_is_not_a_member_of_the_team"), owner=200),
        prepare=org("list-team-members", "GET", teamId="{subteam}"),
    ),
    Op(
        "auth",
        "GET",
        "/api/auth/organization/list-user-teams",
        session_only(403, owner=200),
        prepare=org("list-user-teams", "GET", userId="{user}", organizationId="{team}"),
    ),
    Op(
        "auth",
        "GET",
        "/api/auth/organization/get-active-member-role",
        session_only(403, team_member=200, owner=200),
        prepare=org(
            "get-active-member-role", "GET", userId="{member_user}", organizationId="{team}"
        ),
    ),
    Op(
        "auth",
        "POST",
        "/api/auth/organization/has-permission",
        session_only((401, "user_is_not_a_member_of_the_organization"), team_member=200, owner=200),
        prepare=org("has-permission", organizationId="{team}", permissions={"member": ["create"]}),
    ),
    Op(
        "auth",
        "POST",
        "/api/auth/organization/update",
        session_only(OUTSIDER, team_member=403, owner=200),
        prepare=org("update", organizationId="{team}", data={"name": "Tern Lab"}),
    ),
    Op(
        "auth",
        "POST",
        "/api/auth/organization/delete",
        session_only(OUTSIDER, owner=200),
        prepare=fresh_org,
    ),
    Op(
        "auth",
        "POST",
        "/api/auth/organization/invite-member",
        session_only(NO_MEMBER, team_member=403, owner=200),
        prepare=lambda w, who: Call(
            "/api/auth/organization/invite-member",
            json={"email": unique_email("cell"), "role": "member", "organizationId": w.ids["team"]},
        ),
    ),
    Op(
        "auth",
        "GET",
        "/api/auth/organization/get-invitation",
        # only the invited address reads an invitation, not even the team's owner
        session_only((403, "you_are_not_the_recipient_of_the_invitation")),
        prepare=with_invitation("get-invitation", "id", "GET"),
    ),
    Op(
        "auth",
        "POST",
        "/api/auth/organization/cancel-invitation",
        session_only(NO_MEMBER, team_member=403, owner=200),
        prepare=with_invitation("cancel-invitation", "invitationId"),
    ),
    Op(
        "auth",
        "POST",
        "/api/auth/organization/remove-member",
        session_only(NO_MEMBER, team_member=401, owner=200),
        prepare=fresh_member("remove-member"),
    ),
    Op(
        "auth",
        "POST",
        "/api/auth/organization/update-member-role",
        session_only(NO_MEMBER, team_member=403, owner=200),
        prepare=fresh_member("update-member-role"),
    ),
    Op(
        "auth",
        "POST",
        "/api/auth/organization/add-team-member",
        session_only(NO_ACTIVE, team_member=403, owner=200),
        prepare=fresh_member("add-team-member"),
    ),
    Op(
        "auth",
        "POST",
        "/api/auth/organization/remove-team-member",
        session_only(NO_ACTIVE, team_member=403, owner=200),
        prepare=fresh_member("remove-team-member"),
    ),
    Op(
        "auth",
        "POST",
        "/api/auth/organization/create-team",
        # Better Auth's code for an outsider here, sic
        session_only(
            (403, "you_are_not_allowed_to_invite_users_to_this_organization"),
            team_member=403,
            owner=200,
        ),
        prepare=org("create-team", organizationId="{team}", name="Cell Team"),
    ),
    Op(
        "auth",
        "POST",
        "/api/auth/organization/update-team",
        session_only(NO_ACTIVE, team_member=403, owner=200),
        prepare=fresh_subteam("update-team"),
    ),
    Op(
        "auth",
        "POST",
        "/api/auth/organization/remove-team",
        session_only(403, owner=200),
        prepare=fresh_subteam("remove-team"),
    ),
]

# Operations left out of the table, each with why. Nothing else may be missing.
EXCLUDED: dict[tuple[str, str, str], str] = {
    **{
        (service, "GET", path): "health: no user data, open to probes"
        for service in ("auth", "content")
        for path in ("/health", "/health/live", "/health/ready")
    },
    ("content", "GET", "/api/v1/tags"): "public catalog facet (tag counts), no user data",
    ("content", "GET", "/.well-known/oauth-protected-resource/mcp/{ref}"): (
        "RFC 9728 metadata answered without a lookup: reveals nothing about the dataset"
    ),
    ("auth", "POST", "/api/auth/sign-up/email"): "public: makes a new account",
    ("auth", "POST", "/api/auth/sign-in/email"): "public: password sign-in",
    ("auth", "POST", "/api/auth/sign-in/social"): "public: starts a social sign-in",
    ("auth", "GET", "/api/auth/callback/{provider_id}"): "public: OAuth redirect target",
    ("auth", "POST", "/api/auth/callback/{provider_id}"): "public: OAuth form_post target",
    ("auth", "GET", "/api/auth/verify-email"): "public: single-use emailed token",
    ("auth", "POST", "/api/auth/request-password-reset"): "public: never says if the email exists",
    ("auth", "GET", "/api/auth/reset-password/{token}"): "public: single-use emailed token",
    ("auth", "POST", "/api/auth/reset-password"): "public: single-use emailed token",
    ("auth", "GET", "/api/auth/jwks"): "public keys",
    ("auth", "POST", "/api/v1/billing/webhooks/stripe"): (
        "Stripe's signed webhook, no user credential (tests/auth/test_billing*.py)"
    ),
    ("auth", "POST", "/api/auth/sign-out"): "ends the caller's own session only",
    ("auth", "POST", "/api/auth/revoke-sessions"): "ends the caller's own sessions only",
    ("auth", "POST", "/api/auth/revoke-other-sessions"): "ends the caller's own sessions only",
    ("auth", "POST", "/api/auth/change-password"): "the caller's own password only",
    ("auth", "POST", "/api/auth/send-verification-email"): "to the caller's own address only",
    ("auth", "POST", "/api/auth/organization/create"): "makes the caller's own team",
    ("auth", "POST", "/api/auth/organization/check-slug"): "slug availability, no team data",
    ("auth", "GET", "/api/auth/organization/list"): "the caller's own teams, no id taken",
    ("auth", "POST", "/api/auth/organization/set-active"): "the caller's own session state",
    ("auth", "POST", "/api/auth/organization/set-active-team"): "the caller's own session state",
    ("auth", "GET", "/api/auth/organization/get-active-member"): "the caller's own membership",
    ("auth", "POST", "/api/auth/organization/leave"): "the caller's own membership",
    ("auth", "POST", "/api/auth/organization/accept-invitation"): (
        "only the invited address may (tests/auth/test_teams.py); used by the world's setup"
    ),
    ("auth", "POST", "/api/auth/organization/reject-invitation"): (
        "only the invited address may (tests/auth/test_teams.py)"
    ),
    ("auth", "GET", "/api/auth/organization/list-user-invitations"): (
        "the caller's own invitations (by its own email)"
    ),
}
INTERNAL_PREFIX = "/internal/v1/"  # test_internal_endpoints: service token only


# ---- the cells


def _assert_answer(response: httpx.Response, expected: Expect, where: str) -> None:
    status, code = expected if isinstance(expected, tuple) else (expected, None)
    assert response.status_code == status, f"{where}: {response.status_code} {response.text[:300]}"
    if status >= 400:
        body = response.json()
        assert body["error"], (where, body)
        assert "detail" in body, (where, body)
        if code is not None:
            assert body["error"] == code, (where, body)


def _cell(world: World, op: Op, who: str) -> httpx.Response:
    call = op.prepare(world, who) if op.prepare else Call(_fill(op.template, world.ids))
    if call.files is not None:
        return world.call(who, op.service, op.method, call.path, files=call.files)
    return world.call(
        who,
        op.service,
        op.method,
        call.path,
        json=call.json,
        params=call.params,
        headers=call.headers or {},
    )


@pytest.mark.parametrize("who", PRINCIPALS)
@pytest.mark.parametrize("op", OPERATIONS, ids=[op.id for op in OPERATIONS])
def test_cell(world: World, op: Op, who: str) -> None:
    response = _cell(world, op, who)
    _assert_answer(response, op.expect[who], f"{op.id} as {who}")
    if op.check is not None:
        op.check(world, who, response)


# every id-taking operation, with the other tenant's ids, as the owner (and the owner's key)
BOLA_OPS = [
    op
    for op in OPERATIONS
    if op.service == "content" and "{" in op.template and op.template != "/api/v1/datasets"
] + [op for op in OPERATIONS if op.template == "/api/v1/api-keys/{api_key_id}"]


def _bola_call(world: World, op: Op, ids: dict[str, str]) -> Call:
    path = _fill(op.template, ids)
    body: Any = None
    headers: dict[str, str] = {}
    if op.template.endswith("/search"):
        body = {"query": "arctic terns"}
    elif op.template == "/mcp/{ref}":
        body, headers = MCP_INIT, MCP_HEADERS
    elif op.method in ("POST", "PUT", "PATCH"):
        body = {"rating": 5} if op.template.endswith("/reviews") else {"name": "Taken"}
        if op.template.endswith("/checkout"):
            body = {}
        if op.template.endswith("/versions"):
            body = {"version": "9.9.9"}
        elif op.template.endswith("/versions/active"):
            body = {"version": "draft"}
        elif op.template.endswith("/sources"):
            body = {"type": "manual", "name": "Taken"}
        elif op.template.endswith(":from-url"):
            body = {"url": f"{world.stack.auth_url}/api/auth/jwks"}
    if op.template.endswith("/documents") and op.method == "POST":
        return Call(path, files=[("files", ("x.md", b"# Taken\n\ntext"))])
    return Call(path, json=body, headers=headers)


# the auth service takes sessions only, so its operations are tried by the owner alone
BOLA_CELLS = [
    (op, who)
    for op in BOLA_OPS
    for who in (("owner",) if op.service == "auth" else ("owner", "key_write"))
]


@pytest.mark.parametrize(
    ("op", "who"), BOLA_CELLS, ids=[f"{op.id}-{who}" for op, who in BOLA_CELLS]
)
def test_bola(world: World, op: Op, who: str) -> None:
    answers = []
    # ids that never existed (a version label is no secret: the same "1.0.0")
    ghost = {key: uuid.uuid4().hex for key in world.other} | {"version": world.other["version"]}
    for ids in (world.other, ghost):
        call = _bola_call(world, op, ids)
        kwargs: dict[str, Any] = (
            {"files": call.files}
            if call.files is not None
            else {"json": call.json, "headers": call.headers or {}}
        )
        response = world.call(who, op.service, op.method, call.path, **kwargs)
        # the answer names none of the other tenant's objects
        for value in world.other.values():
            assert value not in response.text, (op.id, value)
        answers.append((response.status_code, response.json()["error"]))
    # the other tenant's real ids answer exactly as ids that never existed: no oracle
    assert answers[0] == answers[1], (op.id, answers)
    if op.template.endswith("/checkout") and who in KEYS:
        # keys never buy: refused before any lookup, whatever the id
        assert answers[0] == (403, "forbidden"), answers
    else:
        assert answers[0][0] == 404, (op.id, answers)


def test_mixed_ids_are_404(world: World) -> None:
    """The owner's dataset with the other tenant's document, source, chunk or version."""
    ds = world.ids["ds"]
    for path in (
        f"/api/v1/datasets/{ds}/documents/{world.other['doc']}",
        f"/api/v1/datasets/{ds}/sources/{world.other['source']}",
        f"/api/v1/datasets/{ds}/chunks/{world.other['chunk']}",
    ):
        response = world.call("owner", "content", "GET", path)
        assert response.status_code == 404, (path, response.text)
        assert world.other["doc"] not in response.text
    deleted = world.call(
        "owner", "content", "DELETE", f"/api/v1/datasets/{ds}/documents/{world.other['doc']}"
    )
    assert deleted.status_code == 404, deleted.text
    still = world.call(
        "other_user",
        "content",
        "GET",
        f"/api/v1/datasets/{world.other['ds']}/documents/{world.other['doc']}",
    )
    assert still.status_code == 200, still.text


def test_internal_endpoints(world: World) -> None:
    """Every user credential is refused on /internal/v1/*; the service token opens it."""
    paths = [p for p in _openapi(world, "auth") if p[1].startswith(INTERNAL_PREFIX)]
    assert len(paths) >= 10, paths
    for method, template in paths:
        path = re.sub(r"\{\w+\}", "x", template)
        for who in PRINCIPALS:
            response = world.call(who, "auth", method, path, json={})
            _assert_answer(response, 401, f"{method} {path} as {who}")
    pinged = world.http.get(world.url("auth", "/internal/v1/ping"), headers=INTERNAL)
    assert pinged.status_code == 200, pinged.text
    validated = world.http.post(
        world.url("auth", "/internal/v1/sessions/validate"),
        json={"token": world.headers["owner"]["Authorization"].removeprefix("Bearer ")},
        headers=INTERNAL,
    )
    assert validated.status_code == 200, validated.text
    assert validated.json()["user"]["id"] == world.users["owner"]


def _openapi(world: World, service: str) -> list[tuple[str, str]]:
    spec = world.http.get(world.url(service, "/openapi.json")).json()
    return [
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]


def test_every_operation_is_covered(world: World) -> None:
    covered = {(op.service, op.method, op.template) for op in OPERATIONS}
    missing = []
    for service in ("auth", "content"):
        for method, path in _openapi(world, service):
            key = (service, method, path)
            if key in covered or key in EXCLUDED or path.startswith(INTERNAL_PREFIX):
                continue
            missing.append(key)
    assert not missing, "neither in OPERATIONS nor in EXCLUDED:\n" + json.dumps(missing, indent=1)
    stale = [key for key in EXCLUDED if key in covered]
    assert not stale, stale
