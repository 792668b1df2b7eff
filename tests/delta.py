"""A world for delta invoicing, built through the real API: an issuer (a seller) with the
DELTA_INVOICING licence, a legal entity and monthly accounting periods, its customers, and a
recurring offer; helpers to make subscriptions and run pre-invoice generations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
from temporalio.client import Client

from billing.contracts.pre_invoices import PreInvoiceRunResult
from billing.delta_invoicing import month_end, next_month
from tests.recurring import provisioned_order
from tests.world import partner_body, put


@dataclass(frozen=True)
class DeltaWorld:
    suffix: str
    distributor: str
    issuer: str
    customer: str
    customer_b: str
    entity: str
    vendor: str
    offer: str  # recurring, 31.00 EUR a month

    def id(self, name: str) -> str:
        return f"{name}-{self.suffix}"


def period_id(w: DeltaWorld, month: date) -> str:
    return w.id(f"P{month:%Y%m}")


async def delta_world(
    api: httpx.AsyncClient,
    *,
    months: list[date] | None = None,
    licence: bool = True,
    entity: bool = True,
    enable: bool = True,
) -> DeltaWorld:
    suffix = uuid.uuid4().hex[:8]
    w = DeltaWorld(
        suffix=suffix,
        distributor=f"ddist-{suffix}",
        issuer=f"dseller-{suffix}",
        customer=f"dcust-a-{suffix}",
        customer_b=f"dcust-b-{suffix}",
        entity=f"dle-{suffix}",
        vendor=f"dvendor-{suffix}",
        offer=f"doffer-{suffix}",
    )
    await put(api, f"/v1/partners/{w.distributor}", partner_body("Dist", "distributor", None))
    await put(api, f"/v1/partners/{w.issuer}", partner_body("Seller", "seller", w.distributor))
    for who in (w.customer, w.customer_b):
        await put(api, f"/v1/partners/{who}", partner_body(who, "customer", w.issuer))
    await put(api, f"/v1/vendors/{w.vendor}", {"name": "Vendor"})
    await put(
        api,
        f"/v1/offers/{w.offer}",
        {
            "vendor_id": w.vendor,
            "name": "Cloud seat",
            "billing_type": "recurring",
            "unit_price": "31.00",
            "currency": "EUR",
            "term_months": 12,
        },
    )
    if licence:
        granted = await api.put(f"/v1/partners/{w.issuer}/licences/DELTA_INVOICING")
        assert granted.status_code == 200, granted.text
    if entity:
        await put(
            api, f"/v1/legal-entities/{w.entity}", {"issuer_id": w.issuer, "name": "Seller GmbH"}
        )
    for month in months or []:
        await put_period(api, w, month)
    if enable:
        enabled = await api.post(f"/v1/partners/{w.issuer}/delta-invoicing", json={})
        assert enabled.status_code == 200, enabled.text
    return w


async def put_period(
    api: httpx.AsyncClient, w: DeltaWorld, month: date, *, closed: bool = False
) -> httpx.Response:
    return await api.put(
        f"/v1/accounting-periods/{period_id(w, month)}",
        json={
            "issuer_id": w.issuer,
            "legal_entity_id": w.entity,
            "starts_on": month.isoformat(),
            "ends_on": month_end(month).isoformat(),
            "invoicing_closed": closed,
        },
    )


def months(first: date, count: int) -> list[date]:
    found = [first]
    while len(found) < count:
        found.append(next_month(found[-1]))
    return found


async def subscription(
    api: httpx.AsyncClient,
    temporal: Client,
    w: DeltaWorld,
    name: str,
    *,
    starts: str,
    quantity: int = 1,
    customer: str | None = None,
) -> dict[str, Any]:
    """A provisioned order of one recurring item; its subscription as the API shows it."""
    who = customer or w.customer
    number = w.id(name)
    await provisioned_order(
        api,
        temporal,
        number,
        w.issuer,
        who,
        [{"item_id": "1", "offer_id": w.offer, "quantity": quantity}],
        provisioned_at=starts,
    )
    response = await api.get("/v1/subscriptions", params={"customer_id": who, "limit": 500})
    [found] = [s for s in response.json()["items"] if s["order_number"] == number]
    return dict(found)


async def generate(
    api: httpx.AsyncClient, temporal: Client, w: DeltaWorld, as_of: str
) -> tuple[str, PreInvoiceRunResult, dict[str, Any]]:
    """Start a pre-invoice generation through the API, wait for it and read it back."""
    response = await api.post("/v1/pre-invoice-runs", json={"issuer_id": w.issuer, "as_of": as_of})
    assert response.status_code == 202, response.text
    run_id = response.json()["run_id"]
    result = await temporal.get_workflow_handle(run_id, result_type=PreInvoiceRunResult).result()
    shown = await api.get(f"/v1/pre-invoice-runs/{run_id}")
    assert shown.status_code == 200, shown.text
    return run_id, result, shown.json()


async def pre_invoices(api: httpx.AsyncClient, w: DeltaWorld, **params: str) -> list[dict]:
    response = await api.get(
        "/v1/invoices",
        params={"type": "pre_invoice", "issuer_id": w.issuer, "limit": 500, **params},
    )
    assert response.status_code == 200, response.text
    items: list[dict] = response.json()["items"]
    return items


def lines_by_month(invoices: list[dict]) -> dict[tuple[str, str], list[str]]:
    """(subscription id, period_start) -> the amounts of its lines, in the order written."""
    found: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for invoice in invoices:
        for line in invoice["lines"]:
            key = (line["subscription_id"], line["period_start"])
            found.setdefault(key, []).append((line["sequence"], line["amount"]))
    return {key: [amount for _, amount in sorted(values)] for key, values in found.items()}


# A partner token that may run its own billing (the default one only reads and orders).
ADMIN_OF_ITS_BILLING = {"scopes": ["read", "billing-admin"]}
