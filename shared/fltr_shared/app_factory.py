"""What every FLTR app gets, whatever the service: error shape, request ids, metrics, logs."""

from __future__ import annotations

from fastapi import FastAPI

from fltr_shared.error_handlers import UnhandledErrorMiddleware, add_exception_handlers
from fltr_shared.observability import Metrics, ObservabilityMiddleware, install_metrics
from fltr_shared.request_id import RequestIdMiddleware


def install_common(app: FastAPI, *, service: str) -> None:
    """Register handlers and middleware. Outermost first: request id, metrics/log, crash guard."""
    add_exception_handlers(app)
    metrics = Metrics(service)
    install_metrics(app, metrics)
    # add_middleware puts each new one outside the previous ones.
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(ObservabilityMiddleware, metrics=metrics)
    app.add_middleware(RequestIdMiddleware)
