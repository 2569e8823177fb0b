"""Build the auth service's ASGI app: ``create_app(settings)``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from fltr_auth import __version__
from fltr_auth.admin.router import router as admin_router
from fltr_auth.credentials.router import router as credentials_router
from fltr_auth.deps import origin_guard
from fltr_auth.email.sender import Mailer, email_sender
from fltr_auth.health.router import router as health_router
from fltr_auth.internal.router import router as internal_router
from fltr_auth.jwt.router import router as jwt_router
from fltr_auth.sessions.router import router as sessions_router
from fltr_auth.settings import AuthSettings
from fltr_auth.social.router import router as social_router
from fltr_auth.teams.router import router as teams_router
from fltr_auth.users.router import router as users_router
from fltr_auth.verifications.router import router as verifications_router
from fltr_shared.app_factory import install_common
from fltr_shared.background import BackgroundTasks
from fltr_shared.db import Database, create_engine
from fltr_shared.logging import configure_logging
from fltr_shared.rate_limit import RateLimiter
from fltr_shared.service_auth import require_service_token


def create_app(settings: AuthSettings | None = None) -> FastAPI:
    settings = settings or AuthSettings()
    configure_logging(settings.log_level, settings.log_format)
    service_token = settings.resolve_internal_token()
    better_auth_secret = settings.resolve_better_auth_secret()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database(create_engine(settings))
        background = BackgroundTasks()
        app.state.db = database
        app.state.mailer = Mailer(email_sender(settings), background)
        rate_limiter = RateLimiter(settings.redis_url, namespace="fltr-auth")
        app.state.rate_limiter = rate_limiter
        try:
            yield
        finally:
            await background.drain()
            await rate_limiter.aclose()
            await database.dispose()

    app = FastAPI(
        title="FLTR auth service",
        version=__version__,
        description="Users, sessions, teams, API keys, credits and billing.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.better_auth_secret = better_auth_secret.get_secret_value()
    install_common(app, service="auth")
    app.include_router(health_router)
    for router in (
        credentials_router,
        sessions_router,
        users_router,
        verifications_router,
        jwt_router,
        admin_router,
        teams_router,
        social_router,
    ):
        app.include_router(router, dependencies=[Depends(origin_guard)])
    app.include_router(
        internal_router,
        dependencies=[Depends(require_service_token(service_token))],
    )
    return app
