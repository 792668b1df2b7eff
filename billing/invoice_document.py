"""What an invoice document says, whatever made the invoice (an order, a month-end run, a
billing-day consolidation, a summary): issuer and receiver with postal address and tax id,
invoice date, due date and payment term, lines with their tax rate, tax per rate and totals
per currency. Pure: the store fills it in, billing/invoice_pdf.py prints it."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel

from billing.contracts.summary_invoices import CurrencyTotals
from billing.vocabulary import PaymentTerm


class Party(BaseModel):
    id: str
    name: str
    postal_address: str | None = None
    country: str | None = None
    tax_id: str | None = None


class DocumentLine(BaseModel):
    description: str
    quantity: int
    unit_price: Decimal
    amount: Decimal
    currency: str
    # The invoice this line was consolidated from (summary invoices), for the reader's match.
    source_invoice: str | None = None
    receiver_id: str | None = None


class TaxPerRate(BaseModel):
    currency: str
    rate: Decimal  # a fraction: 0.19 is 19 %
    base: Decimal
    tax: Decimal


class InvoiceDocument(BaseModel):
    title: str  # "Invoice", or "Tax invoice" for a tax-synced summary invoice
    number: str
    reference_code: str | None = None
    order_number: str | None = None
    period: str | None = None
    invoice_date: date
    due_date: date
    payment_term: PaymentTerm
    issuer: Party
    # None when the invoice bills several receivers (per-vendor grouping): see its lines.
    receiver: Party | None
    lines: list[DocumentLine]
    totals: list[CurrencyTotals]
    # The reader's locale: amounts and dates are written as the receiver reads them.
    locale: str = "en_US"

    @property
    def taxes(self) -> list[TaxPerRate]:
        return taxes_per_rate(self.totals)

    def rate_of(self, currency: str) -> Decimal:
        return next((t.rate for t in self.taxes if t.currency == currency), Decimal(0))


def with_provider_tax(
    document: InvoiceDocument, reference_code: str, taxes: dict[str, Decimal]
) -> InvoiceDocument:
    """The document once the tax provider has answered: its reference code, and each
    currency's tax with the total it makes (subtotal + tax)."""
    totals = [
        t
        if t.currency not in taxes
        else t.model_copy(
            update={"tax": taxes[t.currency], "total": t.subtotal + taxes[t.currency]}
        )
        for t in document.totals
    ]
    return document.model_copy(update={"reference_code": reference_code, "totals": totals})


def effective_rate(subtotal: Decimal, tax: Decimal) -> Decimal:
    """The rate the tax provider applied, to a tenth of a percent (25.5 % exists; the tax of
    each line is rounded to cents, which moves the quotient by less than that on any real
    invoice). Providers answer with tax per document and currency; every line of one currency
    bears that rate."""
    if subtotal == 0:
        return Decimal(0)
    return (tax / subtotal).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


def taxes_per_rate(totals: list[CurrencyTotals]) -> list[TaxPerRate]:
    return [
        TaxPerRate(
            currency=t.currency,
            rate=effective_rate(t.subtotal, t.tax),
            base=t.subtotal,
            tax=t.tax,
        )
        for t in totals
    ]


def percent(rate: Decimal) -> str:
    """0.19 → "19 %", 0.255 → "25.5 %": no trailing zeros."""
    value = (rate * 100).normalize()
    text = f"{value:f}"
    return f"{text} %"
