"""Build the content service's ASGI app: ``create_app(settings)``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI

from fltr_content import __version__
from fltr_content.api_doc import document as document_api
from fltr_content.audit.router import router as audit_router
from fltr_content.auth_client import AuthServiceClient
from fltr_content.callers.resolver import CallerResolver
from fltr_content.callers.router import router as callers_router
from fltr_content.credits.charges import Charges
from fltr_content.credits.deferred import DeferredCharges
from fltr_content.credits.router import router as credits_router
from fltr_content.datasets.router import router as datasets_router
from fltr_content.documents.router import router as documents_router
from fltr_content.health.router import router as health_router
from fltr_content.jobs.router import router as jobs_router
from fltr_content.mcp.router import router as mcp_router
from fltr_content.mcp.server import build_server as build_mcp_server
from fltr_content.mcp.server import running as mcp_running
from fltr_content.mcp.server import session_manager as mcp_session_manager
from fltr_content.plans.limits import PlanLimits
from fltr_content.plans.router import router as plans_router
from fltr_content.processing.context import JobContext
from fltr_content.processing.runner import InProcessRunner
from fltr_content.processing.wiring import embedder_from, storage_from
from fltr_content.ratelimits.headers import RateLimitHeadersMiddleware
from fltr_content.ratelimits.limiter import CallerRateLimits
from fltr_content.reviews.router import router as reviews_router
from fltr_content.search.router import router as search_router
from fltr_content.settings import ContentSettings
from fltr_content.sources.router import router as sources_router
from fltr_content.tags.router import router as tags_router
from fltr_content.usage.recorder import UsageMiddleware, UsageRecorder
from fltr_content.usage.router import router as usage_router
from fltr_content.vectors.chunks import ChunkStore
from fltr_content.vectors.store import VectorStore
from fltr_content.versions.router import router as versions_router
from fltr_shared.app_factory import install_common
from fltr_shared.db import Database, create_engine
from fltr_shared.internal_client import InternalClient
from fltr_shared.logging import configure_logging
from fltr_shared.rate_limit import RateLimiter

if TYPE_CHECKING:
    from fltr_content.processing.celery_app import CeleryRunner


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
        app.state.charges = Charges(auth_client)
        deferred = DeferredCharges(
            app.state.charges,
            auth_client,
            min_balance=settings.search_deferred_min_balance,
            flush_seconds=settings.search_charge_flush_seconds,
            balance_seconds=settings.search_charge_balance_seconds,
        )
        app.state.deferred_charges = deferred
        app.state.plan_limits = PlanLimits(auth_client)
        app.state.embedder = embedder_from(settings)
        app.state.storage = storage_from(settings)
        job_context = JobContext(
            settings=settings,
            db=database,
            chunks=app.state.chunks,
            storage=app.state.storage,
            embedder=app.state.embedder,
            charges=app.state.charges,
        )
        app.state.job_context = job_context
        runner: InProcessRunner | CeleryRunner
        if settings.celery_broker_url:
            # Celery (and kombu) load only in Celery mode: the embedded default starts faster
            from fltr_content.processing.celery_app import CeleryRunner, make_celery

            runner = CeleryRunner(make_celery(settings))
        else:
            runner = InProcessRunner(
                job_context, workers=settings.ingest_workers, poll_seconds=settings.job_poll_seconds
            )
        app.state.jobs = runner
        # search and MCP: usage rows written after the responses; one MCP server, stateless
        usage = UsageRecorder(
            database,
            max_rows=settings.usage_buffer_max,
            flush_seconds=settings.usage_flush_seconds,
        )
        app.state.usage = usage
        app.state.mcp_sessions = mcp_session_manager(build_mcp_server())
        await vectors.open()
        await runner.start()
        usage.start()
        deferred.start()
        try:
            async with mcp_running(app.state.mcp_sessions):
                yield
        finally:
            await deferred.aclose()  # before the auth client closes: it sends what is queued
            await usage.aclose()
            await runner.stop()
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
    app.add_middleware(UsageMiddleware)
    # Search and MCP first: they take nearly all traffic, and every request tries the routes in
    # order (about 0.2 ms for one at the end of this list). None of their paths overlaps another
    # router's, so the order changes no answer.
    app.include_router(search_router)
    app.include_router(mcp_router)
    app.include_router(health_router)
    app.include_router(callers_router)
    app.include_router(credits_router)
    app.include_router(datasets_router)
    app.include_router(documents_router)
    app.include_router(jobs_router)
    app.include_router(plans_router)
    app.include_router(tags_router)
    app.include_router(reviews_router)
    app.include_router(versions_router)
    app.include_router(sources_router)
    app.include_router(audit_router)
    app.include_router(usage_router)
    document_api(app)
    return app
