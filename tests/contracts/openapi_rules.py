"""What a complete FLTR OpenAPI document is, as checks that list what breaks them.

Used by tests/contracts/test_openapi_completeness.py on both services' documents, and on
deliberately broken documents to prove each check can fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fltr_shared.openapi import ERROR_SCHEMA_NAME

ERROR_REF = f"#/components/schemas/{ERROR_SCHEMA_NAME}"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
# errors whose body is not the error schema on purpose: the health report says what is down
OWN_ERROR_BODIES = {("/health", "get", "503"), ("/health/ready", "get", "503")}


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def error_problems(doc: dict[str, Any]) -> list[str]:
    """Every operation that takes input or a credential answers some 4xx with the error
    schema, and every 4xx/5xx it declares
    is the error schema (JSON) with an example; 422 wherever there is input, 500 everywhere."""
    problems: list[str] = []
    for path, method, op in operations(doc):
        name = f"{method.upper()} {path}"
        responses: dict[str, Any] = op.get("responses", {})
        errors = {status: r for status, r in responses.items() if status[0] in "45"}
        takes_input = bool(op.get("parameters") or op.get("requestBody") or op.get("security"))
        # only what takes nothing (no input, no credential: the health checks) may have no 4xx
        if takes_input and not any(status.startswith("4") for status in errors):
            problems.append(f"{name}: no 4xx response")
        if "500" not in errors:
            problems.append(f"{name}: no 500 response")
        if (op.get("parameters") or op.get("requestBody")) and "422" not in errors:
            problems.append(f"{name}: takes input but documents no 422")
        for status, answer in errors.items():
            if (path, method, status) in OWN_ERROR_BODIES:
                continue
            media = answer.get("content", {}).get("application/json")
            if media is None:
                problems.append(f"{name} {status}: no application/json body")
                continue
            if media.get("schema") != {"$ref": ERROR_REF}:
                problems.append(f"{name} {status}: body is not {ERROR_SCHEMA_NAME}")
            if not (media.get("example") or media.get("examples")):
                problems.append(f"{name} {status}: no example")
            if not answer.get("description"):
                problems.append(f"{name} {status}: no description")
    schema = doc.get("components", {}).get("schemas", {}).get(ERROR_SCHEMA_NAME, {})
    if not {"error", "detail"} <= set(schema.get("required", [])):
        problems.append(f"{ERROR_SCHEMA_NAME} does not require 'error' and 'detail'")
    return problems


def security_problems(doc: dict[str, Any], public: set[str]) -> list[str]:
    """Every operation states its security; only the listed ``public`` ones need none;
    internal ones take the service token and nothing else; every scheme named exists."""
    problems: list[str] = []
    schemes = set(doc.get("components", {}).get("securitySchemes", {}))
    for path, method, op in operations(doc):
        name = f"{method.upper()} {path}"
        if "security" not in op:
            problems.append(f"{name}: no security declared")
            continue
        requirements: list[dict[str, list[str]]] = op["security"]
        if not requirements and name not in public:
            problems.append(f"{name}: declares no credential but is not a public operation")
        if requirements and name in public:
            problems.append(f"{name}: listed as public but declares credentials")
        named = {scheme for requirement in requirements for scheme in requirement}
        for scheme in named - schemes:
            problems.append(f"{name}: names unknown security scheme {scheme!r}")
        if path.startswith("/internal/") and requirements != [{"internalServiceToken": []}]:
            problems.append(f"{name}: internal but not exactly the service token")
        if requirements and "401" not in op.get("responses", {}) and {} not in requirements:
            problems.append(f"{name}: needs a credential but documents no 401")
    return problems


def success_problems(doc: dict[str, Any]) -> list[str]:
    """Every operation has a 2xx or 3xx; every 2xx body has a non-empty schema, and only
    202 and 204 may have none."""
    problems: list[str] = []
    for path, method, op in operations(doc):
        name = f"{method.upper()} {path}"
        responses: dict[str, Any] = op.get("responses", {})
        good = {status: r for status, r in responses.items() if status[0] in "23"}
        if not good:
            problems.append(f"{name}: no success response")
        for status, answer in good.items():
            if status.startswith("3"):
                continue
            content: dict[str, Any] = answer.get("content", {})
            if not content and status not in ("202", "204"):
                problems.append(f"{name} {status}: no body documented")
            for media_type, media in content.items():
                if not media.get("schema"):
                    problems.append(f"{name} {status} {media_type}: empty schema")
    return problems
