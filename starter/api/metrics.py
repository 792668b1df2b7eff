"""Prometheus metrics of the API at `GET /metrics`: request counts and latencies per route
template (never the raw path, so order numbers do not become label values), and the engine's
own figures read from the database at scrape time."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from billing.metrics import engine_registry
from starter.api.context import AppContext

Handler = Callable[[ASGIApp, Scope, Receive, Send], Awaitable[None]]


class _HttpOnly:
    """Plain ASGI rather than `@app.middleware("http")`: that wrapper runs the rest of the
    application in a task of its own with streams between the two, a cost on every request."""

    def __init__(self, app: ASGIApp, handle: Handler) -> None:
        self.app = app
        self.handle = handle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.handle(self.app, scope, receive, send)
        else:
            await self.app(scope, receive, send)


def install(app: FastAPI) -> None:
    registry = CollectorRegistry()
    requests = Counter(
        "billing_api_requests",
        "HTTP requests answered, by method, route template and status code.",
        ["method", "route", "status"],
        registry=registry,
    )
    latency = Histogram(
        "billing_api_request_duration_seconds",
        "Time to answer an HTTP request, by method and route template.",
        ["method", "route"],
        registry=registry,
    )

    async def measure(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500

        async def recorded(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, recorded)
        finally:
            template = getattr(scope.get("route"), "path", "unmatched")
            if template != "/metrics":
                requests.labels(scope["method"], template, str(status)).inc()
                latency.labels(scope["method"], template).observe(time.perf_counter() - started)

    app.add_middleware(_HttpOnly, handle=measure)

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    def expose_metrics(request: Request) -> Response:
        context: AppContext = request.app.state.context
        body = generate_latest(registry) + generate_latest(engine_registry(context.engine))
        return Response(body, media_type=CONTENT_TYPE_LATEST)
