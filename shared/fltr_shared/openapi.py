"""The OpenAPI documents' shared half: the one error schema, security schemes, and the
post-processing that gives every operation its ``security`` and its error answers.

Routers declare what is special about them (a 402, a 409 with its meaning); this module adds
what every route of a kind has in common, read from the dependencies the route really runs:
a route that depends on the caller resolution *can* answer 401, 429 and 503, so the document
says so without every router repeating it. One mechanism, so a new route cannot forget it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from pydantic import BaseModel, ConfigDict, Field

from fltr_shared.errors import (
    AppError,
    BadRequest,
    Conflict,
    Forbidden,
    InternalError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ServiceUnavailable,
    Unauthorized,
    ValidationFailed,
)

__all__ = [
    "API_KEY",
    "API_KEY_HEADER",
    "ERROR_SCHEMA_NAME",
    "INTERNAL_SERVICE_TOKEN",
    "JWT",
    "SECURITY_SCHEMES",
    "SESSION_BEARER",
    "SESSION_COOKIE",
    "ErrorBody",
    "FieldErrorOut",
    "Security",
    "install_openapi",
]

ERROR_SCHEMA_NAME = "ErrorBody"
_ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}
# FastAPI's own 422 body; ours replaces it everywhere (fltr_shared.error_handlers)
_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")


class FieldErrorOut(BaseModel):
    """Where one input value is wrong, and why (422 ``validation_error`` only)."""

    loc: list[str] = Field(description="Path to the value: where it was sent, then its name")
    msg: str
    type: str


class ErrorBody(BaseModel):
    """Every 4xx/5xx body of FLTR (``fltr_shared.error_handlers``)."""

    # other keys may follow (the Better Auth routes also send ``code`` and ``message``)
    model_config = ConfigDict(extra="allow")

    error: str = Field(description="Stable machine-readable code, e.g. 'not_found'")
    detail: str = Field(description="What went wrong, for people")
    request_id: str | None = Field(
        default=None, description="The X-Request-ID of the request (quote it in reports)"
    )
    fields: list[FieldErrorOut] | None = Field(
        default=None, description="Only on 'validation_error': each wrong value"
    )
    code: str | None = Field(
        default=None, description="Better Auth's code (only under /api/auth), e.g. 'UNAUTHORIZED'"
    )
    message: str | None = Field(
        default=None, description="Better Auth's message (only under /api/auth)"
    )


_ERROR_CLASSES: dict[int, type[AppError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    413: PayloadTooLarge,
    422: ValidationFailed,
    429: RateLimited,
    500: InternalError,
    503: ServiceUnavailable,
}


def _example(status: int) -> dict[str, Any]:
    cls = _ERROR_CLASSES.get(status)
    if cls is not None:
        body: dict[str, Any] = {"error": cls.default_code, "detail": cls.default_detail}
    else:
        phrase = HTTPStatus(status).phrase
        body = {"error": phrase.lower().replace(" ", "_"), "detail": f"{phrase}."}
    if status == 422:
        body["detail"] = "The request is not valid; see 'fields'."
        body["fields"] = [{"loc": ["body", "name"], "msg": "Field required", "type": "missing"}]
    body["request_id"] = "6f1c2a9e4b7d4e0f9a3c5b1d2e8f7a60"
    return body


def _description(status: int) -> str:
    defaults = {
        401: "No valid credential",
        422: "The request is not valid (see 'fields')",
        429: "Rate limit reached; Retry-After says when to come back",
        500: "Internal error (the cause is logged, never sent)",
        503: "A dependency (or another FLTR service) is unavailable",
    }
    return defaults.get(status, HTTPStatus(status).phrase)


# The credentials FLTR accepts, by the names the documents use (components.securitySchemes)
API_KEY = "apiKey"
API_KEY_HEADER = "apiKeyHeader"
SESSION_BEARER = "sessionBearer"
JWT = "jwt"
SESSION_COOKIE = "sessionCookie"
INTERNAL_SERVICE_TOKEN = "internalServiceToken"  # noqa: S105 - a scheme's name, not a secret
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    API_KEY: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "fltr_...",
        "description": "An API key (`Authorization: Bearer fltr_...`), made at /api/v1/api-keys.",
    },
    API_KEY_HEADER: {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "The same API key in its own header (`X-API-Key: fltr_...`).",
    },
    SESSION_BEARER: {
        "type": "http",
        "scheme": "bearer",
        "description": "A session token (raw, or the signed cookie value), as Better Auth's "
        "bearer plugin sends it; the `set-auth-token` header of sign-in gives it.",
    },
    JWT: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A JWT from the auth service's /api/auth/token (EdDSA, checked "
        "against /api/auth/jwks).",
    },
    SESSION_COOKIE: {
        "type": "apiKey",
        "in": "cookie",
        "name": "better-auth.session_token",
        "description": "Better Auth's signed session cookie (`__Secure-` prefixed over HTTPS).",
    },
    INTERNAL_SERVICE_TOKEN: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "INTERNAL_SERVICE_TOKEN",
        "description": "Service-to-service only: the shared INTERNAL_SERVICE_TOKEN.",
    },
}


@dataclass(frozen=True)
class Security:
    """What a dependency means for the document: the credentials it accepts (alternatives,
    names in ``components.securitySchemes``) and the errors it can answer with."""

    schemes: tuple[str, ...] = ()
    optional: bool = False
    errors: tuple[int, ...] = ()


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _requirements(rule: Security) -> list[dict[str, list[str]]]:
    alternatives: list[dict[str, list[str]]] = [{name: []} for name in rule.schemes]
    # ``{}`` among the alternatives: the operation also answers anonymous callers
    return [{}, *alternatives] if rule.optional else alternatives


def _document_errors(op: dict[str, Any], statuses: set[int]) -> None:
    responses: dict[str, Any] = op.setdefault("responses", {})
    for status in statuses:
        responses.setdefault(str(status), {})
    for key in sorted(responses):
        if not key.isdigit() or int(key) < 400:
            continue
        status = int(key)
        answer = responses[key]
        if answer.get("description") in (None, "", "Additional Response"):
            answer["description"] = _description(status)
        content = answer.setdefault("content", {})
        media = content.setdefault("application/json", {})
        schema = media.get("schema")
        if not schema or schema.get("$ref", "").rsplit("/", 1)[-1] in _FASTAPI_VALIDATION:
            media["schema"] = dict(_ERROR_REF)
        if media["schema"] == _ERROR_REF and "example" not in media:
            media.setdefault("examples", {})
            media["examples"].setdefault(
                "error", {"summary": answer["description"], "value": _example(status)}
            )
    op["responses"] = {key: responses[key] for key in sorted(responses)}


def _referenced(doc: Any, name: str) -> bool:
    target = f"#/components/schemas/{name}"
    if isinstance(doc, dict):
        return any((k == "$ref" and v == target) or _referenced(v, name) for k, v in doc.items())
    if isinstance(doc, list):
        return any(_referenced(v, name) for v in doc)
    return False


def _post_process(
    app: FastAPI,
    doc: dict[str, Any],
    schemes: Mapping[str, dict[str, Any]],
    rules: Callable[[], Mapping[Callable[..., Any], Security]],
) -> None:
    by_call = rules()
    for context in routing.iter_route_contexts(app.routes):
        if not isinstance(context.original_route, routing.APIRoute):
            continue
        if not context.include_in_schema:
            continue
        calls = list(_calls(context.dependant))
        matched = [by_call[call] for call in calls if call in by_call]
        # the strictest credential rule wins: a required session beats the optional one
        # it is built on
        credentials = [rule for rule in matched if rule.schemes]
        required = [rule for rule in credentials if not rule.optional]
        chosen = (required or credentials)[0] if credentials else None
        statuses = {500}
        for rule in matched:
            statuses.update(rule.errors)
        if "{" in str(context.path_format):
            statuses.add(404)
        path = doc["paths"].get(context.path_format, {})
        for method in sorted(context.methods or ()):
            op = path.get(method.lower())
            if op is None:
                continue
            op_statuses = set(statuses)
            if op.get("parameters") or op.get("requestBody"):
                op_statuses.add(422)
            if op.get("requestBody"):
                op_statuses.add(400)  # a body that cannot be parsed at all (not JSON, not UTF-8)
            op["security"] = _requirements(chosen) if chosen is not None else []
            _document_errors(op, op_statuses)
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in _FASTAPI_VALIDATION:
        schemas.pop(name, None)
    for name in _FASTAPI_VALIDATION:
        # FastAPI's model named anywhere else (a 2xx, a callback) would now dangle: say so
        if _referenced(doc, name):  # pragma: no cover
            raise RuntimeError(f"OpenAPI: {name} is still referenced after post-processing")
    schemas[ERROR_SCHEMA_NAME] = ErrorBody.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    nested = schemas[ERROR_SCHEMA_NAME].pop("$defs", {})
    schemas.update(nested)
    components["schemas"] = {key: schemas[key] for key in sorted(schemas)}
    components["securitySchemes"] = {key: schemes[key] for key in sorted(schemes)}


def install_openapi(
    app: FastAPI,
    *,
    schemes: Mapping[str, dict[str, Any]],
    rules: Callable[[], Mapping[Callable[..., Any], Security]],
) -> None:
    """Make ``app.openapi()`` (and so /openapi.json and /docs) the post-processed document.

    ``rules`` is called when the document is built (lazily: some guards exist only once the
    app is assembled) and maps dependency callables to what they mean for the document.
    """
    unknown = {name for rule in rules().values() for name in rule.schemes} - set(schemes)
    if unknown:
        raise ValueError(f"OpenAPI security rules name unknown schemes: {sorted(unknown)}")
    # the last document patched (held, so its identity cannot be reused by a new one)
    processed: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        doc = FastAPI.openapi(app)
        # FastAPI caches the document (and rebuilds it when routes change): patch each once
        if not processed or processed[0] is not doc:
            _post_process(app, doc, schemes, rules)
            processed[:] = [doc]
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
