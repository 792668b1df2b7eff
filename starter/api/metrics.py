"""Prometheus metrics of the API at `GET /metrics`: request counts and latencies per route
template (never the raw path, so order numbers do not become label values), and the engine's
own figures read from the database at scrape time."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest

from billing.metrics import engine_registry
from starter.api.context import AppContext


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

    @app.middleware("http")
    async def measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = request.scope.get("route")
            template = getattr(route, "path", "unmatched")
            if template != "/metrics":
                requests.labels(request.method, template, str(status)).inc()
                latency.labels(request.method, template).observe(time.perf_counter() - started)

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    def expose_metrics(request: Request) -> Response:
        context: AppContext = request.app.state.context
        body = generate_latest(registry) + generate_latest(engine_registry(context.engine))
        return Response(body, media_type=CONTENT_TYPE_LATEST)
