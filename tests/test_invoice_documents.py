"""Every invoice has a PDF an accounts-payable clerk accepts, through the API: a per-order
invoice's and a summary invoice's tax invoice, with the parties' postal addresses and tax ids,
dates in the receiver's locale, due date from the payment term, tax per rate and totals."""

from __future__ import annotations

from datetime import date

import httpx
from temporalio.client import Client

from tests.console_world import build_console_world, invoiced_order
from tests.delta import delta_world, generate, months, pre_invoices, subscription
from tests.summary_world import created, request_summaries, wait_state
from tests.unit.test_invoice_documents import text_of
from tests.world import partner_body, put


async def test_a_per_order_invoice_and_its_tax_invoice_both_download_as_pdf(
    api: httpx.AsyncClient, temporal: Client
) -> None:
    cw = await build_console_world(api)
    await put(
        api,
        f"/v1/partners/{cw.customer_de}",
        partner_body(
            "Müller Logistik GmbH", "customer", cw.seller, country="DE",
            postal_address="Hafenstraße 5\n20457 Hamburg", tax_id="DE811907980",
            payment_term="net_30", locale="de_DE", time_zone="Europe/Berlin",
        ),
    )  # fmt: skip
    number, invoice_id = await invoiced_order(api, temporal, cw, "PDF", cw.customer_de)

    response = await api.get(f"/v1/invoices/{invoice_id}/pdf", params={"download": "true"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    invoice = (await api.get(f"/v1/invoices/{invoice_id}")).json()
    assert response.headers["content-disposition"] == (
        f'attachment; filename="invoice-{invoice["number"]}.pdf"'
    )
    [text] = text_of(response.content)
    assert text.startswith("Invoice")
    for printed in (
        "From", "Console Reseller Oy", "Bill to", "Müller Logistik GmbH", "Hafenstraße 5",
        "20457 Hamburg", "Tax ID: DE811907980", f"Order number: {number}", "Net 30 days",
        "Description", "Tax rate", "0 %", "2.469,00 €", "Total (EUR)", "Page 1 of 1",
    ):  # fmt: skip
        assert printed in text, printed

    answer = await request_summaries(api, cw.seller, [invoice_id], invoice_date="2026-12-15")
    [summary_id] = await created(temporal, answer["request_id"])
    early = await api.get(f"/v1/invoices/{summary_id}/pdf")
    assert early.status_code in (200, 404)  # 404 says: produced when tax sync completes
    done = await wait_state(api, summary_id, "TaxCompleted")
    tax_invoice = await api.get(f"/v1/invoices/{summary_id}/pdf")
    assert tax_invoice.status_code == 200
    [text] = text_of(tax_invoice.content)
    assert text.startswith("Tax invoice")
    for printed in (
        f"Invoice number: {done['invoice_code']}", f"Reference code: {done['reference_code']}",
        "15. Dezember 2026", "Due date: 14. Januar 2027", invoice["number"], "19 %",
        "19 % of 2.469,00 €", "469,11 €", "2.938,11 €", "Tax ID: DE811907980",
    ):  # fmt: skip
        assert printed in text, printed


async def test_a_pre_invoice_prints_its_delta_lines_with_their_service_month(
    api: httpx.AsyncClient, temporal: Client
) -> None:
    w = await delta_world(api, months=months(date(2026, 1, 1), 1))
    await subscription(api, temporal, w, "PDF", starts="2026-01-01T00:00:00Z", quantity=2)
    await generate(api, temporal, w, "2026-01-15")
    [pre_invoice] = await pre_invoices(api, w, receiver_id=w.customer)
    response = await api.get(f"/v1/invoices/{pre_invoice['id']}/pdf")
    assert response.status_code == 200, response.text
    [text] = text_of(response.content)
    assert text.startswith("Pre-invoice")
    assert f"Invoice number: {pre_invoice['number']}" in text
    assert ", 2026-01" in text and "Total (EUR)" in text
