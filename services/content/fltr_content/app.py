"""Build the content service's ASGI app: ``create_app(settings)``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from fltr_content import __version__
from fltr_content.auth_client import AuthServiceClient
from fltr_content.callers.resolver import CallerResolver
from fltr_content.callers.router import router as callers_router
from fltr_content.credits.router import router as credits_router
from fltr_content.datasets.router import router as datasets_router
from fltr_content.health.router import router as health_router
from fltr_content.ratelimits.headers import RateLimitHeadersMiddleware
from fltr_content.ratelimits.limiter import CallerRateLimits
from fltr_content.reviews.router import router as reviews_router
from fltr_content.settings import ContentSettings
from fltr_content.tags.router import router as tags_router
from fltr_content.vectors.chunks import ChunkStore
from fltr_content.vectors.store import VectorStore
from fltr_shared.app_factory import install_common
from fltr_shared.db import Database, create_engine
from fltr_shared.internal_client import InternalClient
from fltr_shared.logging import configure_logging
from fltr_shared.rate_limit import RateLimiter


def create_app(settings: ContentSettings | None = None) -> FastAPI:
    settings = settings or ContentSettings()
    configure_logging(settings.log_level, settings.log_format)
    service_token = settings.resolve_internal_token()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database(create_engine(settings))
        vectors = VectorStore(
            settings.milvus_uri, settings.milvus_token, settings.db_connect_timeout_seconds
        )
        auth_client = AuthServiceClient(
            InternalClient(
                settings.auth_service_url,
                peer="auth",
                service_token=service_token,
                timeout=settings.internal_http_timeout_seconds,
                retries=settings.internal_http_retries,
            )
        )
        app.state.callers = CallerResolver(
            auth_client,
            jwks_url=f"{settings.auth_service_url}/api/auth/jwks",
            issuer=settings.auth_jwt_issuer,
            session_cache_seconds=settings.session_cache_seconds,
            jwks_cache_seconds=settings.jwks_cache_seconds,
            jwt_cache_seconds=settings.jwt_cache_seconds,
            api_key_cache_seconds=settings.api_key_cache_seconds,
            timeout=settings.internal_http_timeout_seconds,
        )
        rate_limits = CallerRateLimits(
            RateLimiter(settings.redis_url, namespace="fltr-content"),
            user_limit_per_minute=settings.user_rate_limit_per_minute,
        )
        app.state.rate_limits = rate_limits
        app.state.db = database
        app.state.vectors = vectors
        app.state.chunks = ChunkStore(vectors, shards=settings.milvus_shards)
        app.state.auth_client = auth_client
        await vectors.open()
        try:
            yield
        finally:
            await rate_limits.aclose()
            await auth_client.aclose()
            await vectors.close()
            await database.dispose()

    app = FastAPI(
        title="FLTR content service",
        version=__version__,
        description="Datasets, documents, ingestion, search and MCP.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_common(app, service="content")
    app.add_middleware(RateLimitHeadersMiddleware)
    app.include_router(health_router)
    app.include_router(callers_router)
    app.include_router(credits_router)
    app.include_router(datasets_router)
    app.include_router(tags_router)
    app.include_router(reviews_router)
    return app
