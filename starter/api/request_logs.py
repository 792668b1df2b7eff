"""Every request gets an id (the caller's `X-Request-Id`, or a new one, echoed back) bound to
its log lines, the order number of order routes bound too, and one access line when answered."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from billing.structured_logs import ORDER_NUMBER, log_context

log = logging.getLogger("billing.api.access")
HEADER = "X-Request-Id"
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


async def bind_order_number(request: Request) -> None:
    """An app-wide dependency: the handler's lines name the order its path is about."""
    number = request.path_params.get("order_number")
    if number:
        ORDER_NUMBER.set(number)


def install(app: FastAPI) -> None:
    @app.middleware("http")
    async def identify(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        offered = request.headers.get(HEADER, "")
        request_id = offered if _ACCEPTABLE.match(offered) else uuid.uuid4().hex
        started = time.perf_counter()
        with log_context(request_id=request_id):
            response = await call_next(request)
            route = request.scope.get("route")
            log.info(
                "%s %s %s",
                request.method,
                getattr(route, "path", request.url.path),
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.url.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    **{
                        key: value
                        for key, value in request.scope.get("path_params", {}).items()
                        if key == "order_number"
                    },
                },
            )
        response.headers[HEADER] = request_id
        return response
