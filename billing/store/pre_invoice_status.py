"""A pre-invoice's status: open until its issuer finalizes it."""

from __future__ import annotations

from sqlalchemy import Connection, func, select, update

from billing.errors import Conflict, Forbidden, NotFound
from billing.schema import invoices
from billing.store.invoices import parse_uuid
from billing.vocabulary import InvoiceType, PreInvoiceStatus


def finalize(conn: Connection, invoice_id: str, *, issuer: str | None) -> None:
    """`issuer` None: the administrator's token. A receiver may read but not finalize it;
    anybody else learns nothing about it."""
    key = parse_uuid(invoice_id, "invoice")
    row = conn.execute(
        select(invoices.c.type, invoices.c.status, invoices.c.issuer_id, invoices.c.receiver_id)
        .where(invoices.c.id == key)
        .with_for_update()
    ).first()
    if row is None or (issuer is not None and issuer not in (row.issuer_id, row.receiver_id)):
        raise NotFound(f"No invoice with id {invoice_id!r}.")
    if issuer is not None and issuer != row.issuer_id:
        raise Forbidden("Only the issuer of a pre-invoice finalizes it.")
    if row.type != InvoiceType.pre_invoice.value:
        raise Conflict(
            f"Invoice {invoice_id!r} is of type {row.type!r}; only pre-invoices are finalized."
        )
    if row.status == PreInvoiceStatus.final.value:
        return
    conn.execute(
        update(invoices)
        .where(invoices.c.id == key)
        .values(status=PreInvoiceStatus.final.value, finalized_at=func.now())
    )
