"""The OpenAPI document's conventions: an operationId per operation derived from its handler's
name (`submit_order` -> `submitOrder`), and the problem+json answers each operation can give."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

PROBLEM_JSON = "application/problem+json"

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details; `detail` says what to do.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"location": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "error_id": {"type": "string", "description": "Also in the log line of a 500."},
    },
    "required": ["type", "title", "status", "detail"],
}

_MEANING = {
    400: "Malformed JSON, or a pagination cursor this API did not hand out",
    401: "No bearer token, or one that is unknown, revoked or expired",
    403: "The token may not do this (administrator only, or a scope it lacks)",
    404: "No such resource, or one the token may not see",
    409: "Conflicts with what is recorded",
    413: "The request body is over the API's limit (`BILLING_MAX_REQUEST_BYTES`)",
    422: "The request does not fit the API (the detail names the field)",
    500: "An unexpected error; the detail carries an error id that is also logged",
    503: "The database or Temporal is unreachable; retry after `Retry-After` seconds",
}


def operation_id(route: APIRoute) -> str:
    first, *rest = route.name.split("_")
    return first + "".join(word.capitalize() for word in rest)


def problem_codes(method: str, operation: dict[str, Any]) -> list[int]:
    """The problems an operation can answer with: every secured one can be refused (401, 403),
    find nothing (404), be given bad text (422) or meet an outage (503); bodies and cursors can
    be malformed (400), bodies too large (413); only writes conflict (409)."""
    if not operation.get("security"):
        return [500]
    codes = [401, 403, 404, 422, 500, 503]
    takes_cursor = any(p.get("name") == "cursor" for p in operation.get("parameters", []))
    if "requestBody" in operation or takes_cursor:
        codes.append(400)
    if "requestBody" in operation:
        codes.append(413)
    if method != "get":
        codes.append(409)
    return sorted(codes)


def document(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document with each operation's problem answers declared, in place of
    FastAPI's default 422 (which names a JSON schema the API does not answer with)."""
    if app.openapi_schema:
        return app.openapi_schema
    spec = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    for item in spec["paths"].values():
        for method, operation in item.items():
            responses = operation["responses"]
            responses.pop("422", None)
            for code in problem_codes(method, operation):
                responses[str(code)] = {
                    "description": _MEANING[code],
                    "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
                }
    app.openapi_schema = spec
    return spec
