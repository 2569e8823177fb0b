"""Per-request metrics (prometheus-client) and one structured access-log line per request.

Routes are labelled by their template (``/api/v1/datasets/{slug}``), never the raw path, so
the number of series stays bounded; unmatched paths share one label.
"""

from __future__ import annotations

import time

import structlog
from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fltr_shared import metrics_catalog

UNMATCHED_ROUTE = "<unmatched>"
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

access_logger = structlog.get_logger("fltr.access")


class Metrics:
    """The Prometheus registry of one app (one per app, so tests can build many apps)."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "fltr_http_requests",
            "HTTP requests served, by route template and status.",
            ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "fltr_http_request_duration_seconds",
            "Time to serve an HTTP request, by route template.",
            ["service", "method", "route"],
            buckets=_BUCKETS,
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry) + metrics_catalog.render()


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            elapsed = time.perf_counter() - start
            route = _route_template(scope)
            method = scope["method"]
            self.metrics.requests.labels(self.metrics.service, method, route, str(status)).inc()
            self.metrics.latency.labels(self.metrics.service, method, route).observe(elapsed)
            access_logger.info(
                "request",
                method=method,
                path=scope["path"],
                route=route,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
            )


async def metrics_endpoint(request: Request) -> Response:
    metrics: Metrics = request.app.state.metrics
    return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)


def install_metrics(app: FastAPI, metrics: Metrics) -> None:
    app.state.metrics = metrics
    app.add_api_route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)
