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
    text = "\n".join(
        page.extract_text().replace("\xa0", " ")
        for page in PdfReader(io.BytesIO(response.content)).pages
    )

    assert text.startswith("Tax invoice")
    assert "From\nCloud Seller GmbH" in text and "Bill to\nCustomer One" in text
    assert "Customer Two" not in text  # the other receiver's line stays on its own summary
    assert "Invoice number: SUM-000001" in text
    assert f"Reference code: {done['reference_code']}" in text
    assert "Invoice date: November 30, 2026" in text
    assert "Payment term: Due upon receipt" in text and "Due date: November 30, 2026" in text
    # Lines in the order of their source invoices, each naming it.
    eur_at = text.index(f"Security Suite EUR {numbers[0]} 3 €10.00 19 % €30.00")
    usd_at = text.index(f"Security Suite USD {numbers[1]} 2 $12.50 19 % $25.00")
    assert eur_at < usd_at
    # Tax per rate, then totals per currency (never converted).
    assert "19 % of €30.00 €5.70" in text and "19 % of $25.00 $4.75" in text
    assert "Subtotal (EUR) €30.00\nTax (EUR) €5.70\nTotal (EUR) €35.70" in text
    assert "Subtotal (USD) $25.00\nTax (USD) $4.75\nTotal (USD) $29.75" in text
    assert "Page 1 of 1" in text
