"""What the console's browser tests share: a seller that invoices per order and consolidates
summary invoices, its customers (one in a country the built-in tax provider cannot tax),
per-order invoices made through the real API and workflows, and signing in from the page."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import httpx
from playwright.async_api import Page, expect
from temporalio.client import Client

from tests.world import billed, partner_body, put, report, submit


@dataclass(frozen=True)
class ConsoleWorld:
    suffix: str
    distributor: str
    seller: str
    customer_de: str
    customer_se: str
    customer_nowhere: str  # a country without a tax rate: its tax sync fails
    security: str

    def order_number(self, name: str) -> str:
        return f"{name}-{self.suffix}"


async def build_console_world(api: httpx.AsyncClient) -> ConsoleWorld:
    s = uuid.uuid4().hex[:8]
    w = ConsoleWorld(
        suffix=s,
        distributor=f"cdist-{s}",
        seller=f"cseller-{s}",
        customer_de=f"ccust-de-{s}",
        customer_se=f"ccust-se-{s}",
        customer_nowhere=f"ccust-zz-{s}",
        security=f"csecurity-{s}",
    )
    distributor = w.distributor
    await put(api, f"/v1/partners/{distributor}", partner_body("Console Dist", "distributor", None))
    await put(
        api,
        f"/v1/partners/{w.seller}",
        partner_body(
            "Console Reseller Oy",
            "seller",
            distributor,
            settings={"invoice_per_order": True, "summary_invoices": True},
            country="FI",
        ),
    )
    for customer, name, country in (
        (w.customer_de, "Müller Logistik GmbH", "DE"),
        (w.customer_se, "Åkesson Bygg AB", "SE"),
        (w.customer_nowhere, "Nowhere Ltd", "ZZ"),
    ):
        await put(
            api,
            f"/v1/partners/{customer}",
            partner_body(name, "customer", w.seller, country=country),
        )
    vendor = f"csn1-{s}"
    await put(api, f"/v1/vendors/{vendor}", {"name": "Sentinel One", "invoice_per_order": True})
    await put(
        api,
        f"/v1/offers/{w.security}",
        {
            "vendor_id": vendor,
            "name": "Security",
            "billing_type": "one_time",
            "unit_price": "1234.50",
            "currency": "EUR",
            "perpetual": True,
        },
    )
    return w


async def invoiced_order(
    api: httpx.AsyncClient, temporal: Client, w: ConsoleWorld, name: str, customer: str
) -> tuple[str, str]:
    """An order provisioned in full and invoiced per order: (order number, invoice id)."""
    number = w.order_number(name)
    await submit(api, number, w.seller, customer, [("1", w.security, 2)])
    response = await report(api, number, "1", "succeeded")
    assert response.status_code == 200, response.text
    result = await billed(temporal, number)
    assert result.invoice_id is not None
    return number, result.invoice_id


async def partner_token(
    api: httpx.AsyncClient,
    partner_id: str,
    scopes: tuple[str, ...] = ("read", "orders", "billing-admin"),
) -> str:
    """A token for the partner's billing administrator (or with fewer scopes)."""
    response = await api.post(
        f"/v1/partners/{partner_id}/tokens", json={"label": "console", "scopes": list(scopes)}
    )
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


async def sign_in(page: Page, base_url: str, token: str) -> None:
    await page.goto(f"{base_url}/console/")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await page.get_by_label("API token").fill(token)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Outgoing Billings")).to_be_visible()


def row(page: Page, attribute: str, value: str) -> object:
    return page.locator(f'tr[{attribute}="{value}"]')


SUMMARY_CODE = re.compile(r"Created \(SUM-\d+\)")
