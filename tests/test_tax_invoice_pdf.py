"""The tax invoice PDF a person reads: rendered on its first download from the document tax sync
kept when it completed, then the same bytes on every download; its text read back."""

from __future__ import annotations

import asyncio
import io
import threading

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, select
from temporalio.client import Client

from billing.invoice_document import InvoiceDocument
from billing.invoice_pdf import render_invoice_pdf
from billing.schema import invoices, summary_invoices
from billing.store import invoice_pdfs
from billing.store.invoices import parse_uuid
from tests.summary_world import (
    build_summary_world,
    created,
    make_invoice,
    partner,
    request_summaries,
    wait_state,
)
from tests.world import put


def text_of(pdf: bytes) -> str:
    return "\n".join(
        page.extract_text().replace("\xa0", " ") for page in PdfReader(io.BytesIO(pdf)).pages
    )


def stored_pdf(engine: Engine, summary_id: str) -> bytes | None:
    with engine.connect() as conn:
        return conn.scalar(
            select(summary_invoices.c.pdf).where(
                summary_invoices.c.invoice_id == parse_uuid(summary_id, "summary invoice")
            )
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
    text = text_of(response.content)

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


async def test_the_first_download_renders_and_stores_the_pdf_and_later_ones_return_those_bytes(
    api: httpx.AsyncClient, temporal: Client, engine: Engine
) -> None:
    sw = await build_summary_world(api)
    answer = await request_summaries(
        api, sw.seller, [make_invoice(engine, sw, sw.seller, [(sw.c1, 2)])]
    )
    [summary_id] = await created(temporal, answer["request_id"])
    done = await wait_state(api, summary_id, "TaxCompleted")
    assert done["pdf_available"] is True
    assert stored_pdf(engine, summary_id) is None  # tax sync completes without rendering

    # The receiver moves after tax sync: its tax invoice still names the address it had.
    moved = partner("Customer One", "customer", sw.seller, country="DE")
    await put(api, f"/v1/partners/{sw.c1}", {**moved, "postal_address": "Neue Straße 9\nBerlin"})
    first = await api.get(f"/v1/invoices/{summary_id}/pdf")
    second = await api.get(f"/v1/summary-invoices/{summary_id}/pdf")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content == stored_pdf(engine, summary_id)
    assert "Neue Straße" not in text_of(first.content)
    assert f"Reference code: {done['reference_code']}" in text_of(first.content)


async def test_two_first_downloads_at_once_return_the_one_copy_stored(
    api: httpx.AsyncClient, temporal: Client, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    sw = await build_summary_world(api)
    answer = await request_summaries(
        api, sw.seller, [make_invoice(engine, sw, sw.seller, [(sw.c1, 1)])]
    )
    [summary_id] = await created(temporal, answer["request_id"])
    await wait_state(api, summary_id, "TaxCompleted")

    # Both render before either writes, and their copies differ, so only reading back the
    # stored one can make the answers agree.
    both_rendered = threading.Barrier(2, timeout=20)
    copies = iter([b"copy one", b"copy two"])
    render = render_invoice_pdf

    def racing_render(document: InvoiceDocument) -> bytes:
        pdf = render(document) + b"\n%" + next(copies)
        both_rendered.wait()
        return pdf

    monkeypatch.setattr(invoice_pdfs, "render_invoice_pdf", racing_render)

    def download() -> bytes:
        with engine.begin() as conn:
            return invoice_pdfs.tax_invoice_pdf(conn, summary_id)[1]

    one, two = await asyncio.gather(asyncio.to_thread(download), asyncio.to_thread(download))
    assert one == two == stored_pdf(engine, summary_id)
    assert one.startswith(b"%PDF-")
