"""A small billing world built through the real API: a distributor, a seller that invoices per
order, one that does not, customers, vendors (Sentinel One supports invoice per order,
Microsoft does not) and their offers. Ids carry a suffix so every test has its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from temporalio.client import Client

from billing.contracts.order_workflow import OrderBillingResult
from workflows.order import workflow_id


@dataclass(frozen=True)
class World:
    suffix: str
    distributor: str
    seller: str  # invoice per order on
    seller_monthly: str  # invoice per order off
    customer: str  # billed by `seller`
    customer_b: str  # billed by `seller`
    customer_of_monthly: str  # billed by `seller_monthly`
    sn1: str
    msft: str
    security: str  # SN1, one-time, perpetual, 12 months, 10.00 EUR
    data: str  # SN1, one-time, perpetual, 12 months, 4.99 EUR
    sn1_recurring: str  # SN1, recurring, 3.333333 EUR
    e5: str  # Microsoft, recurring, 30.00 EUR
    usd_offer: str  # SN1, one-time, USD

    def order_number(self, name: str) -> str:
        return f"{name}-{self.suffix}"


def partner_body(
    name: str, level: str, parent: str | None, *, settings: dict | None = None, **fields: Any
) -> dict[str, Any]:
    return {
        "name": name,
        "level": level,
        "parent_id": parent,
        "currency": "EUR",
        "settings": settings or {},
        **fields,
    }


async def put(api: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.put(path, json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def build_world(api: httpx.AsyncClient, suffix: str) -> World:
    w = World(
        suffix=suffix,
        distributor=f"dist-{suffix}",
        seller=f"seller-{suffix}",
        seller_monthly=f"seller-monthly-{suffix}",
        customer=f"cust-a-{suffix}",
        customer_b=f"cust-b-{suffix}",
        customer_of_monthly=f"cust-m-{suffix}",
        sn1=f"sn1-{suffix}",
        msft=f"msft-{suffix}",
        security=f"sn1-security-{suffix}",
        data=f"sn1-data-{suffix}",
        sn1_recurring=f"sn1-recurring-{suffix}",
        e5=f"msft-e5-{suffix}",
        usd_offer=f"sn1-usd-{suffix}",
    )

    def partner(name: str, level: str, parent: str | None, per_order: bool = False) -> dict:
        return partner_body(name, level, parent, settings={"invoice_per_order": per_order})

    await put(api, f"/v1/partners/{w.distributor}", partner("Distributor", "distributor", None))
    await put(api, f"/v1/partners/{w.seller}", partner("Seller", "seller", w.distributor, True))
    await put(api, f"/v1/partners/{w.seller_monthly}", partner("Seller M", "seller", w.distributor))
    for customer, parent in (
        (w.customer, w.seller),
        (w.customer_b, w.seller),
        (w.customer_of_monthly, w.seller_monthly),
    ):
        await put(api, f"/v1/partners/{customer}", partner(customer, "customer", parent))
    await put(api, f"/v1/vendors/{w.sn1}", {"name": "Sentinel One", "invoice_per_order": True})
    await put(api, f"/v1/vendors/{w.msft}", {"name": "Microsoft", "invoice_per_order": False})

    def offer(vendor: str, name: str, kind: str, price: str, currency: str = "EUR") -> dict:
        return {
            "vendor_id": vendor,
            "name": name,
            "billing_type": kind,
            "unit_price": price,
            "currency": currency,
            "perpetual": kind == "one_time",
            "term_months": 12,
        }

    await put(api, f"/v1/offers/{w.security}", offer(w.sn1, "Security", "one_time", "10.00"))
    await put(api, f"/v1/offers/{w.data}", offer(w.sn1, "Data", "one_time", "4.99"))
    await put(api, f"/v1/offers/{w.sn1_recurring}", offer(w.sn1, "Cloud", "recurring", "3.333333"))
    await put(api, f"/v1/offers/{w.e5}", offer(w.msft, "E5 Office", "recurring", "30.00"))
    await put(
        api, f"/v1/offers/{w.usd_offer}", offer(w.sn1, "Security US", "one_time", "12", "USD")
    )
    return w


def order_body(
    number: str, issuer: str, customer: str, items: list[tuple[str, str, int]]
) -> dict[str, Any]:
    return {
        "order_number": number,
        "issuer_id": issuer,
        "customer_id": customer,
        "items": [
            {"item_id": item_id, "offer_id": offer_id, "quantity": quantity}
            for item_id, offer_id, quantity in items
        ],
    }


async def submit(
    api: httpx.AsyncClient,
    number: str,
    issuer: str,
    customer: str,
    items: list[tuple[str, str, int]],
) -> dict[str, Any]:
    response = await api.post("/v1/orders", json=order_body(number, issuer, customer, items))
    assert response.status_code == 202, response.text
    return response.json()


async def report(
    api: httpx.AsyncClient, number: str, item_id: str, outcome: str, **extra: Any
) -> httpx.Response:
    return await api.post(
        f"/v1/orders/{number}/items/{item_id}/provisioning", json={"outcome": outcome, **extra}
    )


async def billed(temporal: Client, number: str) -> OrderBillingResult:
    """Wait for the order workflow to finish and return what it billed."""
    handle = temporal.get_workflow_handle(workflow_id(number), result_type=OrderBillingResult)
    return await handle.result()


async def invoices_of(api: httpx.AsyncClient, number: str) -> list[dict[str, Any]]:
    response = await api.get("/v1/invoices", params={"order_number": number})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items
