"""A world for recurring billing, built through the real API: an issuer (a seller that does not
invoice per order) with its settings, customers with credit terms, vendors and recurring
offers; and helpers to provision orders and run month-end and consolidation runs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from temporalio.client import Client

from billing.contracts.billing_runs import RunResult
from tests.world import billed, partner_body, put, report


@dataclass(frozen=True)
class RecurringWorld:
    suffix: str
    distributor: str
    issuer: str
    msft: str
    adobe: str
    e5: str  # Microsoft, recurring, 30.00 EUR, 12 months
    acrobat: str  # Adobe, recurring, 12.50 EUR
    domain: str  # recurring, category domain, 15.00 EUR
    ssl: str  # recurring, category ssl, 40.00 EUR

    def id(self, name: str) -> str:
        return f"{name}-{self.suffix}"


async def recurring_world(
    api: httpx.AsyncClient, *, settings: dict | None = None
) -> RecurringWorld:
    suffix = uuid.uuid4().hex[:8]
    w = RecurringWorld(
        suffix=suffix,
        distributor=f"rdist-{suffix}",
        issuer=f"rseller-{suffix}",
        msft=f"rmsft-{suffix}",
        adobe=f"radobe-{suffix}",
        e5=f"re5-{suffix}",
        acrobat=f"racrobat-{suffix}",
        domain=f"rdomain-{suffix}",
        ssl=f"rssl-{suffix}",
    )
    await put(api, f"/v1/partners/{w.distributor}", partner_body("Dist", "distributor", None))
    await put(
        api,
        f"/v1/partners/{w.issuer}",
        partner_body("Seller", "seller", w.distributor, settings=settings),
    )
    await put(api, f"/v1/vendors/{w.msft}", {"name": "Microsoft"})
    await put(api, f"/v1/vendors/{w.adobe}", {"name": "Adobe"})
    for offer, vendor, price, category in (
        (w.e5, w.msft, "30.00", "standard"),
        (w.acrobat, w.adobe, "12.50", "standard"),
        (w.domain, w.msft, "15.00", "domain"),
        (w.ssl, w.msft, "40.00", "ssl"),
    ):
        await put(
            api,
            f"/v1/offers/{offer}",
            {
                "vendor_id": vendor,
                "name": offer,
                "billing_type": "recurring",
                "unit_price": price,
                "currency": "EUR",
                "term_months": 12,
                "category": category,
            },
        )
    return w


async def customer(api: httpx.AsyncClient, w: RecurringWorld, name: str, **fields: Any) -> str:
    customer_id = w.id(name)
    await put(
        api, f"/v1/partners/{customer_id}", partner_body(name, "customer", w.issuer, **fields)
    )
    return customer_id


async def provisioned_order(
    api: httpx.AsyncClient,
    temporal: Client,
    number: str,
    issuer: str,
    customer_id: str,
    items: list[dict[str, Any]],
    *,
    provisioned_at: str | None = None,
    **order_fields: Any,
) -> str:
    """Submit an order, report every item succeeded and wait until it is billed."""
    response = await api.post(
        "/v1/orders",
        json={
            "order_number": number,
            "issuer_id": issuer,
            "customer_id": customer_id,
            "items": items,
            **order_fields,
        },
    )
    assert response.status_code == 202, response.text
    extra = {"provisioned_at": provisioned_at} if provisioned_at else {}
    for item in items:
        reported = await report(api, number, item["item_id"], "succeeded", **extra)
        assert reported.status_code == 200, reported.text
    await billed(temporal, number)
    return number


def this_period() -> str:
    return datetime.now(UTC).strftime("%Y-%m")


async def month_end(
    api: httpx.AsyncClient, temporal: Client, issuer: str, period: str
) -> tuple[RunResult, dict[str, Any]]:
    """Start a month-end run through the API, wait for it, and read it back."""
    response = await api.post("/v1/billing-runs", json={"issuer_id": issuer, "period": period})
    assert response.status_code == 202, response.text
    run_id = response.json()["run_id"]
    assert run_id == f"billing-run-{issuer}-{period}"
    result = await temporal.get_workflow_handle(run_id, result_type=RunResult).result()
    shown = await api.get(f"/v1/billing-runs/{run_id}")
    assert shown.status_code == 200, shown.text
    return result, shown.json()


async def consolidate(
    api: httpx.AsyncClient, temporal: Client, as_of: str
) -> tuple[RunResult, dict[str, Any]]:
    response = await api.post("/v1/consolidation-runs", json={"as_of": as_of})
    assert response.status_code == 202, response.text
    run_id = response.json()["run_id"]
    assert run_id == f"consolidation-{as_of}"
    result = await temporal.get_workflow_handle(run_id, result_type=RunResult).result()
    shown = await api.get(f"/v1/consolidation-runs/{run_id}")
    assert shown.status_code == 200, shown.text
    return result, shown.json()


async def invoices(api: httpx.AsyncClient, **params: str) -> list[dict[str, Any]]:
    response = await api.get("/v1/invoices", params={**params, "limit": 500})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def subscriptions_by_item(api: httpx.AsyncClient, customer_id: str) -> dict[str, dict]:
    response = await api.get("/v1/subscriptions", params={"customer_id": customer_id, "limit": 500})
    assert response.status_code == 200, response.text
    return {s["item_id"]: s for s in response.json()["items"] if s["order_number"][:2] != "R-"}


def short_number(number: str) -> str:
    """INV-000001 in the short form the grouping examples use: INV001."""
    series, n = number.split("-")
    return f"{series}{int(n):03d}"
