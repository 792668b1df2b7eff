"""Helpers for the summary-invoice tests: a world of partners with the feature on, source
invoices written as real rows (an invoice may bill several customers, as vendor-grouped
month-end invoices do), and a private API + worker stack with a tax provider of the test's
choosing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import Engine, insert
from temporalio.client import Client

from billing.money import line_amount, total
from billing.schema import billing_lines, invoices
from billing.store.invoice_numbers import next_invoice_number
from billing.tax.provider import TaxProvider
from tests.conftest import api_client, make_settings
from tests.world import partner_body, put
from worker import build_worker

PRICES = {"EUR": Decimal("10.00"), "USD": Decimal("12.50"), "GBP": Decimal("7.25")}


@dataclass(frozen=True)
class SummaryWorld:
    suffix: str
    distributor: str  # summary invoices on; bills the sellers
    seller: str  # summary invoices on; bills c1..c4
    seller_off: str  # summary invoices off
    c1: str
    c2: str
    c3: str
    c4: str
    customer_of_off: str
    vendor: str
    offers: dict[str, str]  # currency -> offer id


def partner(
    name: str, level: str, parent: str | None, *, summaries: bool = False, country: str | None
) -> dict[str, Any]:
    return partner_body(
        name,
        level,
        parent,
        settings={"invoice_per_order": False, "summary_invoices": summaries},
        country=country,
    )


async def build_summary_world(api: httpx.AsyncClient, suffix: str | None = None) -> SummaryWorld:
    s = suffix or uuid.uuid4().hex[:8]
    w = SummaryWorld(
        suffix=s,
        distributor=f"sdist-{s}",
        seller=f"sseller-{s}",
        seller_off=f"sseller-off-{s}",
        # Ids sort c1 < c2 < c3 < c4, the order summary codes are handed out in.
        c1=f"c1-{s}",
        c2=f"c2-{s}",
        c3=f"c3-{s}",
        c4=f"c4-{s}",
        customer_of_off=f"c-off-{s}",
        vendor=f"svendor-{s}",
        offers={cur: f"soffer-{cur.lower()}-{s}" for cur in PRICES},
    )
    await put(
        api,
        f"/v1/partners/{w.distributor}",
        partner("Nordic Distribution AB", "distributor", None, summaries=True, country="SE"),
    )
    await put(
        api,
        f"/v1/partners/{w.seller}",
        partner("Cloud Seller GmbH", "seller", w.distributor, summaries=True, country="DE"),
    )
    await put(
        api,
        f"/v1/partners/{w.seller_off}",
        partner("Quiet Seller", "seller", w.distributor, country="DE"),
    )
    for customer, name, country in (
        (w.c1, "Customer One", "DE"),
        (w.c2, "Customer Two", "DE"),
        (w.c3, "Customer Three", "FR"),
        (w.c4, "Customer Four", "NL"),
    ):
        await put(
            api, f"/v1/partners/{customer}", partner(name, "customer", w.seller, country=country)
        )
    await put(
        api,
        f"/v1/partners/{w.customer_of_off}",
        partner("Customer Off", "customer", w.seller_off, country="DE"),
    )
    await put(api, f"/v1/vendors/{w.vendor}", {"name": "Sentinel One", "invoice_per_order": True})
    for currency, offer_id in w.offers.items():
        await put(
            api,
            f"/v1/offers/{offer_id}",
            {
                "vendor_id": w.vendor,
                "name": f"Security Suite {currency}",
                "billing_type": "one_time",
                "unit_price": str(PRICES[currency]),
                "currency": currency,
            },
        )
    return w


def make_invoice(
    engine: Engine,
    world: SummaryWorld,
    issuer: str,
    lines: list[tuple[str, int]],
    *,
    currency: str = "EUR",
    status: str = "verified",
) -> str:
    """An outgoing invoice of `issuer` with one billing line per (receiver, quantity): real rows,
    as the month-end run (vendor grouping) would write them. Returns its id."""
    price = PRICES[currency]
    amounts = [line_amount(quantity, price, currency) for _, quantity in lines]
    receivers = {receiver for receiver, _ in lines}
    with engine.begin() as conn:
        number = next_invoice_number(conn, issuer, "INV")
        invoice_id = conn.execute(
            insert(invoices)
            .values(
                number=number,
                type="test_vendor_grouped",
                status=status,
                issuer_id=issuer,
                receiver_id=next(iter(receivers)) if len(receivers) == 1 else None,
                currency=currency,
                subtotal=total(amounts, currency),
                total=total(amounts, currency),
            )
            .returning(invoices.c.id)
        ).scalar_one()
        conn.execute(
            insert(billing_lines),
            [
                {
                    "charge_key": f"test:{uuid.uuid4()}",
                    "issuer_id": issuer,
                    "receiver_id": receiver,
                    "vendor_id": world.vendor,
                    "offer_id": world.offers[currency],
                    "quantity": quantity,
                    "unit_price": price,
                    "amount": amount,
                    "currency": currency,
                    "invoice_frequency": "monthly",
                    "invoice_id": invoice_id,
                }
                for (receiver, quantity), amount in zip(lines, amounts, strict=True)
            ],
        )
    return str(invoice_id)


async def request_summaries(
    api: httpx.AsyncClient, issuer: str, invoice_ids: list[str], invoice_date: str = "2026-11-30"
) -> dict[str, Any]:
    response = await api.post(
        "/v1/summary-invoices",
        json={"issuer_id": issuer, "invoice_ids": invoice_ids, "invoice_date": invoice_date},
    )
    assert response.status_code == 202, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def created(temporal: Client, request_id: str) -> list[str]:
    """Wait for the request's workflow; the ids of the summary invoices it made."""
    from billing.contracts.summary_workflow import ConsolidationResult
    from workflows.summary_request import workflow_id

    handle = temporal.get_workflow_handle(workflow_id(request_id), result_type=ConsolidationResult)
    return (await handle.result()).summary_invoice_ids


async def summary(api: httpx.AsyncClient, summary_id: str) -> dict[str, Any]:
    response = await api.get(f"/v1/summary-invoices/{summary_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def wait_state(
    api: httpx.AsyncClient, summary_id: str, state: str, *, seconds: float = 30
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for _ in range(int(seconds / 0.05)):
        body = await summary(api, summary_id)
        if body["state"] == state:
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"summary {summary_id} never reached {state}; last {body}")


async def source_markers(api: httpx.AsyncClient, invoice_ids: list[str]) -> list[str | None]:
    markers = []
    for invoice_id in invoice_ids:
        response = await api.get(f"/v1/invoices/{invoice_id}")
        assert response.status_code == 200, response.text
        markers.append(response.json()["summary_invoice"])
    return markers


@asynccontextmanager
async def tax_stack(
    temporal: Client,
    engine: Engine,
    database_url: str,
    provider: TaxProvider,
    *,
    call_timeout: timedelta = timedelta(seconds=5),
    max_attempts: int = 5,
) -> AsyncIterator[httpx.AsyncClient]:
    """The API and a worker on their own task queue, with this tax provider and quick backoff."""
    settings = make_settings(database_url, f"billing-tax-{uuid.uuid4().hex[:6]}").model_copy(
        update={
            "tax_call_timeout": call_timeout,
            "tax_retry_initial_interval": timedelta(milliseconds=50),
            "tax_max_attempts": max_attempts,
        }
    )
    async with (
        build_worker(temporal, engine, task_queue=settings.task_queue, tax_provider=provider),
        api_client(settings, engine, temporal) as api,
    ):
        yield api
