"""Any invoice's PDF. A summary invoice's tax invoice is rendered once, when tax sync
completes, and kept; other invoices never change after they are made, so theirs is rendered
when asked."""

from __future__ import annotations

from sqlalchemy import Connection, select

from billing.errors import NotFound
from billing.invoice_pdf import render_invoice_pdf
from billing.schema import invoices
from billing.store.invoice_documents import invoice_document
from billing.store.invoices import _visible, parse_uuid
from billing.store.tax_sync import tax_invoice_pdf
from billing.vocabulary import InvoiceType


def invoice_pdf(
    conn: Connection, invoice_id: str, *, visible_to: str | None = None
) -> tuple[str, bytes]:
    """(file name, PDF) of an invoice the caller may see."""
    iid = parse_uuid(invoice_id, "invoice")
    query = select(invoices.c.number, invoices.c.type).where(invoices.c.id == iid)
    row = conn.execute(_visible(query, visible_to)).first()
    if row is None:
        raise NotFound(f"No invoice with id {invoice_id!r}.")
    if row.type == InvoiceType.summary:
        code, pdf = tax_invoice_pdf(conn, invoice_id, visible_to=visible_to)
        return f"tax-invoice-{code}.pdf", pdf
    return f"invoice-{row.number}.pdf", render_invoice_pdf(invoice_document(conn, invoice_id))
