"""The HTTP API. `create_app()` builds it from the environment; tests hand it their own database
engine and Temporal client.

    uvicorn starter.api.app:app   (or `billing api`)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from billing.database import make_engine, resolve_database_url
from billing.settings import Settings, get_settings
from billing.temporal.connect import connect
from starter import console
from starter.api import problems
from starter.api.auth import authenticate, require_admin
from starter.api.context import AppContext
from starter.api.routes import (
    billing_runs,
    invoicing,
    orders,
    partner_tokens,
    reference_data,
    summary_invoices,
)

DESCRIPTION = """
Billing engine API. Order systems submit orders and provisioning outcomes; Temporal workflows
wait for every outcome and invoice per order. Money is a decimal string. Errors are RFC 9457
problem details. Every endpoint but `/healthz` wants `Authorization: Bearer <token>`.
"""


def create_app(context: AppContext | None = None, settings: Settings | None = None) -> FastAPI:
    settings = settings or (context.settings if context else get_settings())

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
        title="Billing engine", version="0.1.0", description=DESCRIPTION, lifespan=lifespan
    )
    app.state.admin_token = settings.admin_token
    if context is not None:
        app.state.context = context
    problems.install(app)
    secured = [Depends(authenticate)]
    # Partner tokens see only their own data; the routes that do not scope by partner yet stay
    # the administrator's.
    admin_only = [Depends(require_admin)]
    for module in (reference_data, orders, partner_tokens, billing_runs):
        app.include_router(module.router, dependencies=admin_only)
    for module in (invoicing, summary_invoices):
        app.include_router(module.router, dependencies=secured)

    # The web console, on the same application and the same route functions.
    console.install(app)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def app() -> FastAPI:
    """Factory for `uvicorn --factory starter.api.app:app`."""
    return create_app()
