"""Errors as RFC 9457 problem details (application/problem+json), each with a `detail` a person
can act on."""

from __future__ import annotations

import logging
import uuid
from http import HTTPStatus
from typing import Any

import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.service import RPCError, RPCStatusCode

from billing.errors import BillingError, Conflict, Forbidden, InvalidRequest, NotFound

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
# How long a client should wait before retrying while a backing service is unreachable.
RETRY_AFTER_SECONDS = 5

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
    if exc.status_code == 405:
        # Starlette names only the first route on the path; a path has one route per method.
        response.headers["Allow"] = ", ".join(_methods_at(request))
    return response


def _methods_at(request: Request) -> list[str]:
    return [
        method
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in request.app.routes
        )
    ]


# How a Temporal call that got no answer fails: the server down, its deadline passed, the
# client's own timeout (which the SDK reports as cancelled), or the server shedding load.
_TEMPORAL_UNAVAILABLE = (
    RPCStatusCode.UNAVAILABLE,
    RPCStatusCode.DEADLINE_EXCEEDED,
    RPCStatusCode.CANCELLED,
    RPCStatusCode.RESOURCE_EXHAUSTED,
)


def _unavailable_service(exc: BaseException) -> str | None:
    """The backing service an exception says is unreachable, if that is what it says."""
    if isinstance(exc, sqlalchemy.exc.OperationalError | sqlalchemy.exc.TimeoutError):
        return "The database"
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
        return "The database"
    if isinstance(exc, RPCError) and exc.status in _TEMPORAL_UNAVAILABLE:
        return "The workflow service (Temporal)"
    return None


class UnexpectedErrors:
    """Outermost guard: an exception no handler took becomes a problem, never a plain-text 500
    with a stack trace. An unreachable database or Temporal is a 503 with Retry-After (the
    client's retry succeeds once it is back); anything else is a 500 carrying an error id that
    the log line with the traceback carries too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            response = problem_for_unexpected(exc, f"{scope['method']} {scope['path']}")
            await response(scope, receive, send)


def problem_for_unexpected(exc: BaseException, where: str) -> JSONResponse:
    service = _unavailable_service(exc)
    if service is not None:
        log.warning("%s is unreachable during %s: %s", service, where, exc)
        response = problem(
            503,
            f"{service} is unreachable right now; retry in {RETRY_AFTER_SECONDS} seconds.",
            title="Service unavailable",
        )
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    error_id = uuid.uuid4().hex[:12]
    log.error("unexpected error %s during %s", error_id, where, exc_info=exc)
    return problem(
        500,
        f"Something went wrong on our side (error id {error_id}); "
        "retry later, or report the id to the operator.",
        title="Internal error",
        error_id=error_id,
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(BillingError, _billing_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_middleware(UnexpectedErrors)
