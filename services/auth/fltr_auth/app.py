"""Build the auth service's ASGI app: ``create_app(settings)``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from fltr_auth import __version__
from fltr_auth.admin.router import router as admin_router
from fltr_auth.api_doc import document as document_api
from fltr_auth.api_keys.router import internal_router as api_keys_internal_router
from fltr_auth.api_keys.router import router as api_keys_router
from fltr_auth.api_keys.usage import LastUsedFlusher, UsageRecorder
from fltr_auth.billing.internal_router import router as billing_internal_router
from fltr_auth.billing.internal_router import stripe_router as billing_stripe_router
from fltr_auth.billing.router import router as billing_router
from fltr_auth.billing.router import webhook_router as billing_webhook_router
from fltr_auth.credentials.router import router as credentials_router
from fltr_auth.credits.internal_router import router as credits_internal_router
from fltr_auth.credits.router import router as credits_router
from fltr_auth.credits.sweeper import HoldSweeper
from fltr_auth.deps import origin_guard
from fltr_auth.email.sender import Mailer, email_sender
from fltr_auth.entitlements.router import router as entitlements_router
from fltr_auth.health.router import router as health_router
from fltr_auth.internal.directory_router import router as directory_router
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
    api_key_hash_secret = settings.resolve_api_key_hash_secret()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database(create_engine(settings))
        background = BackgroundTasks()
        app.state.db = database
        app.state.mailer = Mailer(email_sender(settings), background)
        rate_limiter = RateLimiter(settings.redis_url, namespace="fltr-auth")
        app.state.rate_limiter = rate_limiter
        hold_sweeper = HoldSweeper(database, settings.credit_sweep_interval_seconds)
        hold_sweeper.start()
        app.state.api_key_usage = key_usage = UsageRecorder()
        last_used = LastUsedFlusher(
            key_usage, database.engine.begin, settings.api_key_last_used_flush_seconds
        )
        background.spawn(last_used.run(), name="api-key-last-used")
        try:
            yield
        finally:
            await hold_sweeper.stop()
            last_used.stop()  # its task writes what is pending, then ends
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
    app.state.api_key_hash_secret = api_key_hash_secret.get_secret_value()
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
        credits_router,
        api_keys_router,
    ):
        app.include_router(router, dependencies=[Depends(origin_guard)])
    app.include_router(billing_router)  # its own guards: billing on, then the origin check
    app.include_router(billing_webhook_router)  # Stripe signs these; no session, no origin
    # billing's route class runs it before its on/off switch (fltr_auth.billing.deps)
    app.state.service_token_guard = require_service_token(service_token)
    for internal in (
        internal_router,
        api_keys_internal_router,
        entitlements_router,
        credits_internal_router,
        billing_internal_router,
        billing_stripe_router,
        directory_router,
    ):
        app.include_router(internal, dependencies=[Depends(app.state.service_token_guard)])
    document_api(app)
    return app
