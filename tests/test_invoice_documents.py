"""Every invoice has a PDF an accounts-payable clerk accepts: issuer and receiver with postal
address and tax id, invoice date, payment term and due date, lines with their tax rate, tax
per rate, totals formatted per currency and the reader's locale, page numbers, the reference
code on tax invoices, and names in any script printed as written."""

# Names in Cyrillic and Greek are what this module checks, look-alike letters included.
# ruff: noqa: RUF001

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import httpx
from pypdf import PdfReader
from temporalio.client import Client

from billing.contracts.summary_invoices import CurrencyTotals
from billing.invoice_document import (
    DocumentLine,
    InvoiceDocument,
    Party,
    effective_rate,
    percent,
    taxes_per_rate,
)
from billing.invoice_pdf import render_invoice_pdf
from billing.vocabulary import PaymentTerm
from tests.console_world import build_console_world, invoiced_order
from tests.summary_world import created, request_summaries, wait_state
from tests.world import partner_body, put


def text_of(pdf: bytes) -> list[str]:
    # Babel separates amount and symbol with no-break spaces; compare with plain ones.
    return [
        page.extract_text().replace("\xa0", " ").replace("\u202f", " ")
        for page in PdfReader(io.BytesIO(pdf)).pages
    ]


def test_the_rate_on_a_document_is_the_tax_the_provider_charged_on_the_subtotal() -> None:
    assert effective_rate(Decimal("2469.00"), Decimal("469.11")) == Decimal("0.19")
    assert effective_rate(Decimal("10.00"), Decimal("2.55")) == Decimal("0.255")
    # Tax rounded per line does not show as 25.01 %.
    assert effective_rate(Decimal("114.97"), Decimal("28.75")) == Decimal("0.25")
    assert effective_rate(Decimal("0"), Decimal("0")) == Decimal("0")
    assert percent(Decimal("0.190")) == "19 %" and percent(Decimal("0.255")) == "25.5 %"
    [eur] = taxes_per_rate(
        [
            CurrencyTotals(
                currency="EUR", subtotal=Decimal("100"), tax=Decimal("21"), total=Decimal("121")
            )
        ]
    )
    assert (eur.rate, eur.base, eur.tax) == (Decimal("0.21"), Decimal("100"), Decimal("21"))


def test_a_long_invoice_in_cyrillic_and_greek_numbers_its_pages_and_prints_names_as_written() -> (
    None
):
    doc = InvoiceDocument(
        title="Invoice",
        number="INV-000042",
        invoice_date=date(2026, 12, 1),
        due_date=date(2026, 12, 31),
        payment_term=PaymentTerm.net_30,
        issuer=Party(id="seller", name="Ελληνικές Λύσεις Α.Ε.", postal_address="Οδός Αθηνάς 1\n105 51 Αθήνα", country="GR", tax_id="EL123456789"),
        receiver=Party(id="buyer", name="ООО «Ромашка»", postal_address="ул. Ленина, 1\nМосква", country="RU", tax_id="7701234567"),
        lines=[
            DocumentLine(description=f"Лицензия {n}", quantity=1, unit_price=Decimal("3.333333"), amount=Decimal("3.33"), currency="EUR")
            for n in range(80)
        ],
        totals=[CurrencyTotals(currency="EUR", subtotal=Decimal("266.40"), tax=Decimal("0"), total=Decimal("266.40"))],
        locale="de_DE",
    )  # fmt: skip
    pages = text_of(render_invoice_pdf(doc))
    assert len(pages) >= 2
    assert all(f"Page {n} of {len(pages)}" in text for n, text in enumerate(pages, start=1))
    first = pages[0]
    for printed in (
        "ООО «Ромашка»",
        "ул. Ленина, 1",
        "Ελληνικές Λύσεις Α.Ε.",
        "Tax ID: EL123456789",
    ):
        assert printed in first
    assert "1. Dezember 2026" in first and "31. Dezember 2026" in first and "Net 30 days" in first
    assert "3,333333 €" in first  # unit prices keep their precision, in the reader's locale
    assert "266,40 €" in pages[-1]
    assert render_invoice_pdf(doc) == render_invoice_pdf(doc)  # the same document, same bytes


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
