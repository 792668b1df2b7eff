"""The HTTP API. `create_app()` builds it from the environment; tests hand it their own database
engine and Temporal client.

    uvicorn starter.api.app:app   (or `billing api`)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI

from billing.database import make_engine, resolve_database_url
from billing.settings import DEVELOPMENT_ADMIN_TOKEN, Settings, SettingsError, get_settings
from billing.temporal.connect import connect
from starter import console
from starter.api import body_limit, metrics, openapi, problems, request_logs
from starter.api.auth import authenticate, require_admin
from starter.api.context import AppContext
from starter.api.routes import (
    accounting,
    billing_runs,
    delta_invoicing,
    invoicing,
    orders,
    partner_tokens,
    pre_invoices,
    reference_data,
    summary_invoices,
    webhooks,
)
from starter.api.text_input import reject_nul_characters

DESCRIPTION = """
Billing engine API. Order systems submit orders and provisioning outcomes; Temporal workflows
wait for every outcome and invoice per order. Money is a decimal string. Errors are RFC 9457
problem details (`application/problem+json`); an unexpected one carries an `error_id` that is
also in the log, and an unreachable database or Temporal answers 503 with `Retry-After`.

Every endpoint but `/healthz` and `/metrics` (Prometheus) wants `Authorization: Bearer <token>`: the administrator's token,
or a partner's own token. A partner sees itself and the level below (what it issued and what it
received, its own record and its children's); anything else answers 404, as if it did not exist.
A partner token's scopes say what it may do: `read`, `orders` (submit orders, report
provisioning, record outcomes and payments as their issuer), `billing-admin` (summary invoices,
tax-sync retries). Lists page with opaque, signed cursors: pass `next_cursor` back as `cursor`;
a cursor that was altered answers 400.

A month-end run bills a month that has ended, or the month now running (billed early: its lines
so far; a later run of the same month invoices the lines that arrive afterwards).
"""


def refuse_development_token(settings: Settings) -> None:
    if settings.admin_token == DEVELOPMENT_ADMIN_TOKEN:
        raise SettingsError(
            f"BILLING_ADMIN_TOKEN is the built-in development token {DEVELOPMENT_ADMIN_TOKEN!r}, "
            "which anyone can read in the README; set BILLING_ADMIN_TOKEN to a secret of your "
            "own (e.g. `openssl rand -hex 32`). Only `python3 dev.py start` runs with it."
        )


def create_app(context: AppContext | None = None, settings: Settings | None = None) -> FastAPI:
    settings = settings or (context.settings if context else get_settings())
    if context is None:
        # Served on its own (uvicorn, `billing api`, the container): never with the public
        # development token. `dev.py start` and the tests hand in their own context.
        refuse_development_token(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if context is not None:
            app.state.context = context
            yield
            return
        engine = make_engine(resolve_database_url(settings.database_url))
        temporal = await connect(settings.temporal_address, settings.temporal_namespace)
        app.state.context = AppContext(settings, engine, temporal)
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(
        title="Billing engine",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # One rule for every text a client sends, before any handler sees it; and the order
        # number of order routes bound to the request's log lines.
        dependencies=[Depends(reject_nul_characters), Depends(request_logs.bind_order_number)],
        generate_unique_id_function=openapi.operation_id,
    )
    app.state.admin_token = settings.admin_token
    app.state.settings = settings
    if context is not None:
        app.state.context = context
    problems.install(app)
    body_limit.install(app, settings.max_request_bytes)
    metrics.install(app)
    request_logs.install(app)
    secured = [Depends(authenticate)]
    # Each route says which partner tokens may call it (scopes) and what they see; these are
    # the administrator's alone.
    admin_only = [Depends(require_admin)]
    for module in (partner_tokens, billing_runs):
        app.include_router(module.router, dependencies=admin_only)
    for module in (reference_data, orders, invoicing, summary_invoices):
        app.include_router(module.router, dependencies=secured)
    for module in (accounting, delta_invoicing, pre_invoices):
        app.include_router(module.router, dependencies=secured)
    app.include_router(webhooks.router, dependencies=secured)

    # The web console, on the same application and the same route functions.
    console.install(app)

    @app.get("/healthz", tags=["operations"])
    async def check_health() -> dict[str, str]:
        return {"status": "ok"}

    def document() -> dict[str, Any]:
        return openapi.document(app)

    app.openapi = document  # type: ignore[method-assign]
    return app


def app() -> FastAPI:
    """Factory for `uvicorn --factory starter.api.app:app`."""
    return create_app()
