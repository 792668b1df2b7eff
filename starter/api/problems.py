"""Errors as RFC 9457 problem details (application/problem+json), each with a `detail` a person
can act on."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from billing.errors import BillingError, Conflict, Forbidden, InvalidRequest, NotFound

PROBLEM_JSON = "application/problem+json"

_STATUS = {NotFound: 404, Conflict: 409, InvalidRequest: 422, Forbidden: 403}


def problem(status: int, detail: str, *, title: str | None = None, **extra: Any) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(error.get("type") == "json_invalid" for error in errors):
        return problem(
            400,
            "The request body is not valid JSON: "
            + "; ".join(str(e.get("ctx", {}).get("error", e["msg"])) for e in errors),
            title="Malformed JSON",
        )
    readable = [f"{_location(tuple(e['loc']))}: {e['msg']}" for e in errors]
    return problem(
        422,
        "The request does not fit the API: " + "; ".join(readable),
        title="Invalid request",
        errors=[{"location": _location(tuple(e["loc"])), "message": e["msg"]} for e in errors],
    )


def status_of(exc: BillingError) -> int:
    return next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 400)


async def _billing_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BillingError)
    return problem(status_of(exc), exc.detail, title=exc.title)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No resource at {request.url.path}; see /docs for the API."
    response = problem(exc.status_code, detail)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(BillingError, _billing_error)
    app.add_exception_handler(HTTPException, _http_error)
