"""Invoice documents as rules and print: the tax rate a document shows, and a long document in
Cyrillic and Greek printed with page numbers, its names as written, amounts and dates in the
reader's locale."""

# Names in Cyrillic and Greek are what this module checks, look-alike letters included.
# ruff: noqa: RUF001

from __future__ import annotations

import io
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal

import fpdf.fpdf
import fpdf.output
import pytest
from pypdf import PdfReader

from billing.contracts.summary_invoices import CurrencyTotals
from billing.invoice_document import (
    DocumentLine,
    InvoiceDocument,
    Party,
    effective_rate,
    percent,
    taxes_per_rate,
    with_provider_tax,
)
from billing.invoice_pdf import render_invoice_pdf
from billing.vocabulary import PaymentTerm


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


def test_the_providers_answer_sets_tax_and_total_per_currency_and_the_reference_code() -> None:
    def totals(currency: str, subtotal: str, tax: str, total: str) -> CurrencyTotals:
        return CurrencyTotals(
            currency=currency, subtotal=Decimal(subtotal), tax=Decimal(tax), total=Decimal(total)
        )

    before = InvoiceDocument(
        title="Tax invoice",
        number="SUM-000007",
        invoice_date=date(2026, 11, 30),
        due_date=date(2026, 11, 30),
        payment_term=PaymentTerm.due_upon_receipt,
        issuer=Party(id="seller", name="Seller"),
        receiver=Party(id="customer", name="Customer"),
        lines=[],
        totals=[totals("EUR", "100.00", "0", "100.00"), totals("USD", "50.00", "0", "50.00")],
    )
    after = with_provider_tax(before, "TX-1", {"EUR": Decimal("19.00")})
    assert after.reference_code == "TX-1"
    assert after.totals == [
        totals("EUR", "100.00", "19.00", "119.00"),
        totals("USD", "50.00", "0", "50.00"),  # a currency the answer leaves out keeps its tax
    ]
    assert before.reference_code is None and before.totals[0].tax == 0  # the read stays as read


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


def test_a_kept_document_prints_the_same_bytes_whenever_it_is_printed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A tax invoice is rendered on its first download from the document kept as JSON: the
    bytes depend on that document only, not on when it is printed."""
    doc = InvoiceDocument(
        title="Tax invoice",
        number="SUM-000003",
        reference_code="TX-3",
        invoice_date=date(2026, 11, 30),
        due_date=date(2026, 12, 30),
        payment_term=PaymentTerm.net_30,
        issuer=Party(id="seller", name="Cloud Seller GmbH", country="DE", tax_id="DE123"),
        receiver=Party(id="buyer", name="Customer One", postal_address="Hauptstraße 1\nBerlin"),
        lines=[DocumentLine(description="Security Suite", quantity=2, unit_price=Decimal("10.00"), amount=Decimal("20.00"), currency="EUR", source_invoice="INV-000001")],
        totals=[CurrencyTotals(currency="EUR", subtotal=Decimal("20.00"), tax=Decimal("3.80"), total=Decimal("23.80"))],
    )  # fmt: skip
    now = render_invoice_pdf(doc)

    class Clock(type):
        def __instancecheck__(cls, value: object) -> bool:  # fpdf checks dates it is given
            return isinstance(value, datetime)

    class Later(datetime, metaclass=Clock):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> Later:
            return cls(2031, 6, 1, 12, 30, tzinfo=tz or UTC)

    monkeypatch.setattr(fpdf.fpdf, "datetime", Later)
    monkeypatch.setattr(fpdf.output, "datetime", Later)
    kept = InvoiceDocument.model_validate(doc.model_dump(mode="json"))
    assert kept == doc
    assert render_invoice_pdf(kept) == now
    assert b"/CreationDate (D:20261130000000Z" in now  # dated by the invoice date
