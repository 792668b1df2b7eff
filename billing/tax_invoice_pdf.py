"""The tax invoice PDF of a summary invoice: issuer, receiver, invoice and reference codes, the
lines grouped per source invoice, and the totals per currency (never converted)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

from fpdf import FPDF
from pydantic import BaseModel

from billing.contracts.summary_invoices import CurrencyTotals


class PdfLine(BaseModel):
    description: str
    quantity: int
    unit_price: Decimal
    amount: Decimal
    currency: str


class PdfSourceInvoice(BaseModel):
    number: str
    lines: list[PdfLine]


class TaxInvoiceView(BaseModel):
    issuer_name: str
    issuer_id: str
    receiver_name: str
    receiver_id: str
    receiver_country: str | None
    invoice_code: str
    reference_code: str
    invoice_date: date
    sources: list[PdfSourceInvoice]
    totals: list[CurrencyTotals]


def _latin1(value: object) -> str:
    # The PDF core fonts speak Latin-1; anything else is shown as '?' rather than failing.
    return str(value).encode("latin-1", "replace").decode("latin-1")


def render_tax_invoice(view: TaxInvoiceView) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(_latin1(f"Tax invoice {view.invoice_code}"))
    pdf.set_author(_latin1(view.issuer_name))
    # Dated by the invoice date, not the clock: the same invoice renders to the same bytes.
    pdf.set_creation_date(datetime.combine(view.invoice_date, time(), tzinfo=UTC))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, "Tax invoice", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for label, value in (
        ("Invoice code", view.invoice_code),
        ("Reference code", view.reference_code),
        ("Invoice date", view.invoice_date.isoformat()),
        ("Issuer", f"{view.issuer_name} ({view.issuer_id})"),
        (
            "Receiver",
            f"{view.receiver_name} ({view.receiver_id})"
            + (f", {view.receiver_country}" if view.receiver_country else ""),
        ),
    ):
        pdf.cell(40, 6, _latin1(f"{label}:"))
        pdf.cell(0, 6, _latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    widths = (80, 20, 30, 30, 20)
    for source in view.sources:
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 8, _latin1(f"Source invoice {source.number}"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "B", 9)
        for width, head in zip(
            widths, ("Item", "Qty", "Unit price", "Amount", "Currency"), strict=True
        ):
            pdf.cell(width, 6, head, border="B")
        pdf.ln()
        pdf.set_font("Helvetica", size=9)
        for line in source.lines:
            cells = (line.description, line.quantity, line.unit_price, line.amount, line.currency)
            for width, cell in zip(widths, cells, strict=True):
                pdf.cell(width, 6, _latin1(cell))
            pdf.ln()
        pdf.ln(2)

    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 8, "Totals per currency", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for t in view.totals:
        pdf.cell(
            0,
            6,
            _latin1(f"{t.currency}  subtotal {t.subtotal}  tax {t.tax}  total {t.total}"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    return bytes(pdf.output())
