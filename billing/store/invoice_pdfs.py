"""Any invoice's PDF, rendered when asked. Invoices never change after they are made, so theirs
is rendered from the invoice as it reads. A summary invoice's tax invoice is rendered on its
first download from the document tax sync kept when it completed, and stored: every later
download returns those bytes, so a tax invoice never changes once someone has it."""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from billing.errors import NotFound
from billing.invoice_document import InvoiceDocument
from billing.invoice_pdf import render_invoice_pdf
from billing.schema import invoices, summary_invoices
from billing.store.invoice_documents import invoice_document
from billing.store.invoices import _visible, parse_uuid
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


def tax_invoice_pdf(
    conn: Connection, summary_invoice_id: str, *, visible_to: str | None = None
) -> tuple[str, bytes]:
    """(invoice code, PDF) of a TaxCompleted summary invoice the caller may see.

    The first download renders the kept document and stores the PDF only where none is stored
    yet, then answers with the stored one: of two first downloads at once, the second waits for
    the first's row lock, writes nothing, and returns the same bytes as the first."""
    sid = parse_uuid(summary_invoice_id, "summary invoice")
    query = (
        select(
            invoices.c.number,
            summary_invoices.c.state,
            summary_invoices.c.tax_invoice,
            summary_invoices.c.pdf,
        )
        .join(summary_invoices, summary_invoices.c.invoice_id == invoices.c.id)
        .where(invoices.c.id == sid)
    )
    row = conn.execute(_visible(query, visible_to)).first()
    if row is None:
        raise NotFound(f"No summary invoice with id {summary_invoice_id!r}.")
    if row.pdf is not None:
        return row.number, row.pdf
    if row.tax_invoice is None:
        raise NotFound(
            f"Summary invoice {row.number} has no tax invoice yet; it is produced when "
            f"tax sync completes (now {row.state})."
        )
    rendered = render_invoice_pdf(InvoiceDocument.model_validate(row.tax_invoice))
    stored = conn.scalar(
        update(summary_invoices)
        .where(summary_invoices.c.invoice_id == sid, summary_invoices.c.pdf.is_(None))
        .values(pdf=rendered)
        .returning(summary_invoices.c.pdf)
    )
    if stored is None:  # another download stored its copy first
        stored = conn.scalar(
            select(summary_invoices.c.pdf).where(summary_invoices.c.invoice_id == sid)
        )
    return row.number, stored
