"""Any invoice's PDF, rendered when asked. Invoices never change after they are made, so theirs
is rendered from the invoice as it reads. A summary invoice's tax invoice is rendered on its
first download from the document tax sync kept when it completed, and stored: every later
download returns those bytes, so a tax invoice never changes once someone has it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Row, select, update

from billing.errors import NotFound
from billing.invoice_document import InvoiceDocument
from billing.invoice_pdf import render_invoice_pdf
from billing.schema import invoices, summary_invoices
from billing.store.invoice_documents import invoice_document
from billing.store.invoices import _visible, parse_uuid
from billing.vocabulary import InvoiceType

# What a summary invoice's tax invoice PDF is made from, read with the visibility check.
_KEPT = (summary_invoices.c.state, summary_invoices.c.tax_invoice, summary_invoices.c.pdf)


def invoice_pdf(
    conn: Connection, invoice_id: str, *, visible_to: str | None = None
) -> tuple[str, bytes]:
    """(file name, PDF) of an invoice the caller may see."""
    iid = parse_uuid(invoice_id, "invoice")
    query = (
        select(invoices.c.number, invoices.c.type, *_KEPT)
        .outerjoin(summary_invoices, summary_invoices.c.invoice_id == invoices.c.id)
        .where(invoices.c.id == iid)
    )
    row = conn.execute(_visible(query, visible_to)).first()
    if row is None:
        raise NotFound(f"No invoice with id {invoice_id!r}.")
    if row.type == InvoiceType.summary:
        return f"tax-invoice-{row.number}.pdf", _tax_invoice_pdf(conn, iid, row)
    return f"invoice-{row.number}.pdf", render_invoice_pdf(invoice_document(conn, invoice_id))


def tax_invoice_pdf(
    conn: Connection, summary_invoice_id: str, *, visible_to: str | None = None
) -> tuple[str, bytes]:
    """(invoice code, PDF) of a TaxCompleted summary invoice the caller may see."""
    sid = parse_uuid(summary_invoice_id, "summary invoice")
    query = (
        select(invoices.c.number, *_KEPT)
        .join(summary_invoices, summary_invoices.c.invoice_id == invoices.c.id)
        .where(invoices.c.id == sid)
    )
    row = conn.execute(_visible(query, visible_to)).first()
    if row is None:
        raise NotFound(f"No summary invoice with id {summary_invoice_id!r}.")
    return row.number, _tax_invoice_pdf(conn, sid, row)


def _tax_invoice_pdf(conn: Connection, sid: UUID, row: Row[Any]) -> bytes:
    """The stored PDF, or the first download's: it renders the kept document and stores the PDF
    only where none is stored yet, then answers with the stored one. Of two first downloads at
    once, the second waits for the first's row lock, writes nothing, and returns the same bytes
    as the first."""
    kept: bytes | None = row.pdf
    if kept is not None:
        return kept
    if row.tax_invoice is None:
        raise NotFound(
            f"Summary invoice {row.number} has no tax invoice yet; it is produced when "
            f"tax sync completes (now {row.state})."
        )
    rendered = render_invoice_pdf(InvoiceDocument.model_validate(row.tax_invoice))
    stored: bytes | None = conn.scalar(
        update(summary_invoices)
        .where(summary_invoices.c.invoice_id == sid, summary_invoices.c.pdf.is_(None))
        .values(pdf=rendered)
        .returning(summary_invoices.c.pdf)
    )
    if stored is None:  # another download stored its copy first
        stored = conn.scalar(
            select(summary_invoices.c.pdf).where(summary_invoices.c.invoice_id == sid)
        )
    assert stored is not None, "a summary invoice's PDF is never removed once stored"
    return stored
