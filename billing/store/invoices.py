"""Reading invoices with their lines."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from billing.contracts.common import Page
from billing.contracts.invoices import Invoice, InvoiceLine
from billing.errors import NotFound
from billing.schema import (
    billing_lines,
    invoices,
    pre_invoice_lines,
    subscriptions,
    summary_invoice_lines,
)
from billing.store.pagination import keyset_page
from billing.store.visibility import seen_by
from billing.summary_invoices import summary_marker


def parse_uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(f"No {what} with id {value!r}.") from None


def _visible(query: Any, visible_to: str | None) -> Any:
    """A partner sees the invoices it issued (outgoing) or received (incoming)."""
    return seen_by(query, visible_to, invoices.c.issuer_id, invoices.c.receiver_id)


def get_invoice(conn: Connection, invoice_id: str, *, visible_to: str | None = None) -> Invoice:
    query = select(invoices).where(invoices.c.id == parse_uuid(invoice_id, "invoice"))
    row = conn.execute(_visible(query, visible_to)).mappings().first()
    if row is None:
        raise NotFound(f"No invoice with id {invoice_id!r}.")
    return _with_lines(conn, [row])[0]


def list_invoices(
    conn: Connection,
    *,
    order_number: str | None = None,
    issuer_id: str | None = None,
    receiver_id: str | None = None,
    type: str | None = None,
    visible_to: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Invoice]:
    query = _visible(select(invoices), visible_to)
    for column, value in (
        (invoices.c.order_number, order_number),
        (invoices.c.issuer_id, issuer_id),
        (invoices.c.receiver_id, receiver_id),
        (invoices.c.type, type),
    ):
        if value is not None:
            query = query.where(column == value)
    rows, next_cursor = keyset_page(
        conn, query, order=[invoices.c.created_at, invoices.c.id], cursor=cursor, limit=limit
    )
    return Page[Invoice](items=_with_lines(conn, rows), next_cursor=next_cursor)


def _line(line: Any) -> InvoiceLine:
    return InvoiceLine(
        item_id=line["item_id"],
        offer_id=line["offer_id"],
        quantity=line["quantity"],
        unit_price=line["unit_price"],
        amount=line["amount"],
        subscription_id=str(line["subscription_id"]) if line["subscription_id"] else None,
        receiver_id=line["receiver_id"],
        order_number=line["order_number"],
    )


def _pre_invoice_line(line: Any) -> InvoiceLine:
    return _line(line).model_copy(
        update={
            "period_start": line["period_start"],
            "period_end": line["period_end"],
            "delta": line["sequence"] > 1,
            "sequence": line["sequence"],
        }
    )


def _with_lines(conn: Connection, rows: list[Any]) -> list[Invoice]:
    lines: dict[uuid.UUID, list[InvoiceLine]] = defaultdict(list)
    ids = [row["id"] for row in rows]
    if ids:
        for line in conn.execute(
            select(billing_lines)
            .where(billing_lines.c.invoice_id.in_(ids))
            .order_by(billing_lines.c.invoice_id, billing_lines.c.id)
        ).mappings():
            lines[line["invoice_id"]].append(_line(line))
        # A summary invoice's lines are the billing lines it consolidated.
        for line in conn.execute(
            select(billing_lines, summary_invoice_lines.c.summary_invoice_id)
            .join(
                summary_invoice_lines,
                summary_invoice_lines.c.billing_line_id == billing_lines.c.id,
            )
            .where(summary_invoice_lines.c.summary_invoice_id.in_(ids))
            .order_by(summary_invoice_lines.c.summary_invoice_id, billing_lines.c.id)
        ).mappings():
            lines[line["summary_invoice_id"]].append(_line(line))
        # A pre-invoice's lines are the differences its generation wrote.
        for line in conn.execute(
            select(
                pre_invoice_lines,
                subscriptions.c.item_id,
                subscriptions.c.offer_id,
                subscriptions.c.customer_id.label("receiver_id"),
                subscriptions.c.order_number,
            )
            .join(subscriptions, subscriptions.c.id == pre_invoice_lines.c.subscription_id)
            .where(pre_invoice_lines.c.invoice_id.in_(ids))
            .order_by(
                pre_invoice_lines.c.invoice_id,
                pre_invoice_lines.c.period_start,
                pre_invoice_lines.c.subscription_id,
                pre_invoice_lines.c.sequence,
            )
        ).mappings():
            lines[line["invoice_id"]].append(_pre_invoice_line(line))
    markers = summary_markers(conn, ids)
    return [
        Invoice(
            id=str(row["id"]),
            number=row["number"],
            type=row["type"],
            status=row["status"],
            issuer_id=row["issuer_id"],
            receiver_id=row["receiver_id"],
            order_number=row["order_number"],
            currency=row["currency"],
            subtotal=row["subtotal"],
            # A summary in several currencies has no single tax figure: see its totals.
            tax=row["tax"] if row["currency"] is not None else None,
            total=row["total"],
            issued_at=row["issued_at"],
            lines=lines[row["id"]],
            bill_to_contact=row["bill_to_contact"],
            payment_term=row["payment_term"],
            due_date=row["due_date"],
            invoice_group_number=row["invoice_group_number"],
            vendor_id=row["vendor_id"],
            period=row["period"],
            accounting_period_id=row["accounting_period_id"],
            summary_invoice=markers.get(row["id"]),
        )
        for row in rows
    ]


def summary_markers(conn: Connection, source_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Each consolidated source invoice's `Created (<code>)` or `Multiple Created`, as the Outgoing Billings list shows it."""
    codes: dict[uuid.UUID, list[str]] = defaultdict(list)
    if source_ids:
        for source_id, code in conn.execute(
            select(summary_invoice_lines.c.source_invoice_id, invoices.c.number)
            .join(invoices, invoices.c.id == summary_invoice_lines.c.summary_invoice_id)
            .where(summary_invoice_lines.c.source_invoice_id.in_(source_ids))
            .distinct()
        ):
            codes[source_id].append(code)
    return {
        source_id: marker
        for source_id, found in codes.items()
        if (marker := summary_marker(found)) is not None
    }


@dataclass(frozen=True)
class InvoiceLabel:
    """How a list of billing lines names the invoice each line is on."""

    number: str
    issuer_id: str
    summary_invoice: str | None


def invoice_labels(
    conn: Connection, invoice_ids: set[str], *, visible_to: str | None = None
) -> dict[str, InvoiceLabel]:
    ids = [parse_uuid(invoice_id, "invoice") for invoice_id in sorted(invoice_ids)]
    if not ids:
        return {}
    query = select(invoices.c.id, invoices.c.number, invoices.c.issuer_id).where(
        invoices.c.id.in_(ids)
    )
    rows = list(conn.execute(_visible(query, visible_to)))
    markers = summary_markers(conn, [row.id for row in rows])
    return {
        str(row.id): InvoiceLabel(row.number, row.issuer_id, markers.get(row.id)) for row in rows
    }
