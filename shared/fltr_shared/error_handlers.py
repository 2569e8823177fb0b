"""Render every error as ``{"error", "detail"}`` JSON, and never a traceback."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fltr_shared.errors import AppError, FieldError, InternalError
from fltr_shared.request_id import current_request_id

logger = structlog.get_logger(__name__)

# Status codes Starlette raises itself (routing, body parsing) mapped to our stable codes.
_HTTP_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "service_unavailable",
}


def _response(
    status_code: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> JSONResponse:
    request_id = current_request_id()
    if request_id:
        body = {**body, "request_id": request_id}
    return JSONResponse(body, status_code=status_code, headers=headers)


def _field_errors(exc: RequestValidationError) -> list[FieldError]:
    fields: list[FieldError] = []
    for err in exc.errors():
        # "input" can echo secrets (passwords) back; keep location, message and type only.
        fields.append(
            {
                "loc": [str(part) for part in err.get("loc", ())],
                "msg": str(err.get("msg", "")),
                "type": str(err.get("type", "")),
            }
        )
    return fields


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    if exc.status_code >= 500:
        logger.warning("app_error", code=exc.code, status=exc.status_code, detail=exc.detail)
    return _response(exc.status_code, exc.body(), exc.headers or None)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else "HTTP error."
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No route matches {request.method} {request.url.path}."
    elif exc.status_code == 405:
        detail = f"Method {request.method} is not allowed on {request.url.path}."
    headers = dict(exc.headers) if exc.headers else None
    return _response(exc.status_code, {"error": code, "detail": detail}, headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = _field_errors(exc)
    body = {
        "error": "validation_error",
        "detail": "The request is not valid; see 'fields'.",
        "fields": fields,
    }
    return _response(422, body)


_TEXT_REFUSED = ("CharacterNotInRepertoireError", "UntranslatableCharacterError")


def _text_the_database_refused(exc: BaseException) -> bool:
    """PostgreSQL cannot store NUL (U+0000) in text; the value came from the caller, so the
    answer is a 422 (nothing was written: the statement failed), not a 500."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if type(seen).__name__ in _TEXT_REFUSED:
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


def _text_refused_response() -> JSONResponse:
    return _response(
        422,
        {
            "error": "invalid_characters",
            "detail": "Text may not contain NUL (\\u0000) characters.",
        },
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    if _text_the_database_refused(exc):
        return _text_refused_response()
    # The cause goes to the log with its traceback; the caller gets a stable code only.
    logger.exception("unhandled_error", path=request.url.path, method=request.method)
    err = InternalError()
    return _response(err.status_code, err.body())


def add_exception_handlers(app: FastAPI) -> None:
    """Register the handlers that make every error response the same shape."""
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)


class UnhandledErrorMiddleware:
    """Last resort inside the request-id middleware, so even a crash answers in our shape
    and carries ``X-Request-ID`` (Starlette's own 500 handler runs outside user middleware).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except Exception as exc:
            if not started and _text_the_database_refused(exc):
                await _text_refused_response()(scope, receive, send)
                return
            logger.exception("unhandled_error", path=scope.get("path"), method=scope.get("method"))
            if started:
                raise
            err = InternalError()
            await _response(err.status_code, err.body())(scope, receive, send)
