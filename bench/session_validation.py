"""Session validation through the content service's caller dependency.

Baseline: a no-op endpoint on the same content app (same middleware), measured in the same
run. Measured: ``GET /api/v1/me`` with a JWT (verified locally against the cached JWKS) and
with a session cookie (validated by the auth service over real HTTP, then cached for
SESSION_CACHE_SECONDS). Targets from issue 4: JWT >= 0.7x, cached cookie >= 0.5x.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import SecretStr

from fltr_auth.app import create_app as create_auth_app
from fltr_auth.migration_spec import AUTH_MIGRATIONS
from fltr_auth.settings import AuthSettings
from fltr_content.app import create_app as create_content_app
from fltr_content.migration_spec import CONTENT_MIGRATIONS
from fltr_content.settings import ContentSettings
from fltr_shared import migrations
from tests.support import serve_in_loop

REQUESTS = 1500
ROUNDS = 3
TARGETS = {"jwt": 0.7, "cookie_cached": 0.5}
# Also reported, without a target: every JWT verified afresh (JWT_CACHE_SECONDS=0).
UNCACHED = "jwt_first_seen"


async def _rps(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> float:
    for _ in range(30):  # warm up: fills the JWKS and session caches
        (await client.get(path, headers=headers)).raise_for_status()
    start = time.perf_counter()
    for _ in range(REQUESTS):
        response = await client.get(path, headers=headers)
        response.raise_for_status()
    return REQUESTS / (time.perf_counter() - start)


def _content_app(settings: ContentSettings) -> FastAPI:
    app = create_content_app(settings)

    @app.get("/bench/noop")
    async def noop() -> dict[str, bool]:
        return {"ok": True}

    return app


async def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        var = Path(tmp)
        token = SecretStr("bench-service-token-" + "x" * 32)
        auth_settings = AuthSettings(
            _env_file=None, var_dir=var, internal_service_token=token, log_level="ERROR"
        )
        await asyncio.to_thread(migrations.upgrade, AUTH_MIGRATIONS, auth_settings.database_url)
        auth_app = create_auth_app(auth_settings)
        async with auth_app.router.lifespan_context(auth_app), serve_in_loop(auth_app) as url:
            logging.getLogger().handlers = [logging.NullHandler()]
            async with httpx.AsyncClient(base_url=url) as auth:
                signed_up = await auth.post(
                    "/api/auth/sign-up/email",
                    json={"email": "bench@example.com", "password": "x" * 12, "name": "B"},
                )
                signed_up.raise_for_status()
                cookie = signed_up.headers["set-cookie"].split(";", 1)[0]
                bearer = {"Authorization": "Bearer " + signed_up.headers["set-auth-token"]}
                jwt = (await auth.get("/api/auth/token", headers=bearer)).json()["token"]
            content_settings = ContentSettings(
                _env_file=None,
                var_dir=var,
                internal_service_token=token,
                auth_service_url=url,
                auth_jwt_issuer=auth_settings.base_origin,
                log_level="ERROR",
            )
            await asyncio.to_thread(
                migrations.upgrade, CONTENT_MIGRATIONS, content_settings.database_url
            )
            cases = {
                "noop": ("/bench/noop", {}),
                "jwt": ("/api/v1/me", {"Authorization": f"Bearer {jwt}"}),
                "cookie_cached": ("/api/v1/me", {"Cookie": cookie}),
            }
            best = dict.fromkeys([*cases, UNCACHED], 0.0)
            apps = {
                "default": _content_app(content_settings),
                UNCACHED: _content_app(
                    content_settings.model_copy(update={"jwt_cache_seconds": 0})
                ),
            }
            async with (
                apps["default"].router.lifespan_context(apps["default"]),
                apps[UNCACHED].router.lifespan_context(apps[UNCACHED]),
            ):
                logging.getLogger().handlers = [logging.NullHandler()]
                clients = {
                    name: httpx.AsyncClient(
                        transport=httpx.ASGITransport(app=app), base_url="http://c"
                    )
                    for name, app in apps.items()
                }
                for _ in range(ROUNDS):
                    for name, (path, headers) in cases.items():
                        rps = await _rps(clients["default"], path, headers)
                        best[name] = max(best[name], rps)
                    rps = await _rps(clients[UNCACHED], *cases["jwt"])
                    best[UNCACHED] = max(best[UNCACHED], rps)
                for client in clients.values():
                    await client.aclose()
    ratios = {name: round(best[name] / best["noop"], 3) for name in [*TARGETS, UNCACHED]}
    return {
        "noop_rps": round(best["noop"], 1),
        "jwt_rps": round(best["jwt"], 1),
        "cookie_cached_rps": round(best["cookie_cached"], 1),
        "jwt_first_seen_rps": round(best[UNCACHED], 1),
        "ratios": ratios,
        "targets_at_least": TARGETS,
        "meets_target": all(ratios[name] >= target for name, target in TARGETS.items()),
        "requests_per_round": REQUESTS,
        "rounds": ROUNDS,
    }
