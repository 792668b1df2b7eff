"""The migrations and billing/schema.py describe the same database, and the API publishes its
OpenAPI document."""

from __future__ import annotations

import httpx
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from billing.schema import metadata


def test_migrations_match_the_schema_module(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


async def test_openapi_lists_the_contract(api: httpx.AsyncClient) -> None:
    document = (await api.get("/openapi.json")).json()
    paths = document["paths"]
    for path, method in [
        ("/v1/partners/{partner_id}", "put"),
        ("/v1/vendors/{vendor_id}", "put"),
        ("/v1/offers/{offer_id}", "put"),
        ("/v1/orders", "post"),
        ("/v1/orders/batch", "post"),
        ("/v1/orders/{order_number}/items/{item_id}/provisioning", "post"),
        ("/v1/orders/{order_number}", "get"),
        ("/v1/invoices", "get"),
        ("/v1/invoices/{invoice_id}", "get"),
        ("/v1/subscriptions", "get"),
        ("/v1/subscriptions/{subscription_id}", "patch"),
        ("/v1/billings", "get"),
    ]:
        assert method in paths[path], (path, method)
    assert "HTTPBearer" in document["components"]["securitySchemes"]
