"""The tax invoice PDF a person reads: rendered when tax sync completes, downloaded through the
API, its text read back."""

from __future__ import annotations

import io

import httpx
from pypdf import PdfReader
from sqlalchemy import Engine, select
from temporalio.client import Client

from billing.schema import invoices
from billing.store.invoices import parse_uuid
from tests.summary_world import (
    build_summary_world,
    created,
    make_invoice,
    request_summaries,
    wait_state,
)


async def test_the_tax_invoice_pdf_shows_parties_codes_lines_per_source_and_currency_totals(
    api: httpx.AsyncClient, temporal: Client, engine: Engine
) -> None:
    sw = await build_summary_world(api)
    eur = make_invoice(engine, sw, sw.seller, [(sw.c1, 3), (sw.c2, 1)])
    usd = make_invoice(engine, sw, sw.seller, [(sw.c1, 2)], currency="USD")
    with engine.connect() as conn:
        numbers = [
            conn.scalar(select(invoices.c.number).where(invoices.c.id == parse_uuid(i, "invoice")))
            for i in (eur, usd)
        ]
    answer = await request_summaries(api, sw.seller, [eur, usd])
    first, _second = await created(temporal, answer["request_id"])
    done = await wait_state(api, first, "TaxCompleted")

    response = await api.get(f"/v1/summary-invoices/{first}/pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert 'filename="tax-invoice-SUM-000001.pdf"' in response.headers["content-disposition"]
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)

    assert "Tax invoice" in text
    assert "Issuer: Cloud Seller GmbH" in text and "Receiver: Customer One" in text
    assert "Customer Two" not in text  # the other receiver's line stays on its own summary
    assert "Invoice code: SUM-000001" in text
    assert f"Reference code: {done['reference_code']}" in text
    assert "Invoice date: 2026-11-30" in text
    # Lines grouped under their source invoice, in order.
    eur_at, usd_at = (
        text.index(f"Source invoice {numbers[0]}"),
        text.index(f"Source invoice {numbers[1]}"),
    )
    assert eur_at < text.index("Security Suite EUR 3 10.00 30.00 EUR") < usd_at
    assert usd_at < text.index("Security Suite USD 2 12.50 25.00 USD")
    assert "EUR  subtotal 30.00  tax 5.70  total 35.70" in text
    assert "USD  subtotal 25.00  tax 4.75  total 29.75" in text
