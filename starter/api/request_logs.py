"""Every request gets an id (the caller's `X-Request-Id`, or a new one, echoed back) bound to
its log lines, the order number of order routes bound too, and one access line when answered."""

from __future__ import annotations

import logging
import re
import time
import uuid

from fastapi import FastAPI, Request
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from billing.structured_logs import ORDER_NUMBER, log_context

log = logging.getLogger("billing.api.access")
HEADER = "X-Request-Id"
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


async def bind_order_number(request: Request) -> None:
    """An app-wide dependency: the handler's lines name the order its path is about."""
    number = request.path_params.get("order_number")
    if number:
        ORDER_NUMBER.set(number)


class _IdentifyRequests:
    """Plain ASGI rather than `@app.middleware("http")`: that wrapper runs the rest of the
    application in a task of its own with streams between the two, a cost on every request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = Headers(scope=scope).get(HEADER, "")
        request_id = offered if _ACCEPTABLE.match(offered) else uuid.uuid4().hex
        started = time.perf_counter()
        status = 500

        async def identified(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        with log_context(request_id=request_id):
            await self.app(scope, receive, identified)
            route = scope.get("route")
            path = scope["path"]
            log.info(
                "%s %s %s",
                scope["method"],
                getattr(route, "path", path),
                status,
                extra={
                    "method": scope["method"],
                    "path": path,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    **{
                        key: value
                        for key, value in scope.get("path_params", {}).items()
                        if key == "order_number"
                    },
                },
            )


def install(app: FastAPI) -> None:
    app.add_middleware(_IdentifyRequests)
