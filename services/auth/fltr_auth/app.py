"""Build the auth service's ASGI app: ``create_app(settings)``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from fltr_auth import __version__
from fltr_auth.health.router import router as health_router
from fltr_auth.internal.router import router as internal_router
from fltr_auth.settings import AuthSettings
from fltr_shared.app_factory import install_common
from fltr_shared.db import Database, create_engine
from fltr_shared.logging import configure_logging
from fltr_shared.service_auth import require_service_token


def create_app(settings: AuthSettings | None = None) -> FastAPI:
    settings = settings or AuthSettings()
    configure_logging(settings.log_level, settings.log_format)
    service_token = settings.resolve_internal_token()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database(create_engine(settings))
        app.state.db = database
        try:
            yield
        finally:
            await database.dispose()

    app = FastAPI(
        title="FLTR auth service",
        version=__version__,
        description="Users, sessions, teams, API keys, credits and billing.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_common(app, service="auth")
    app.include_router(health_router)
    app.include_router(
        internal_router,
        dependencies=[Depends(require_service_token(service_token))],
    )
    return app
