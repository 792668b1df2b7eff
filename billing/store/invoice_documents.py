"""Invoice documents read from the database: any invoice's parties, dates, lines and totals
(per-order, month-end, consolidated and summary invoices alike)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import aliased

from billing.contracts.invoices import InvoiceLine
from billing.contracts.summary_invoices import CurrencyTotals
from billing.errors import NotFound
from billing.invoice_document import DocumentLine, InvoiceDocument, Party
from billing.payment_terms import due_date
from billing.schema import (
    billing_lines,
    invoices,
    offers,
    partners,
    summary_invoice_lines,
    summary_invoice_totals,
    summary_invoices,
)
from billing.store.invoices import get_invoice, parse_uuid
from billing.vocabulary import InvoiceType, PaymentTerm


def _party(row: Any, prefix: str) -> Party | None:
    if row[f"{prefix}_party_id"] is None:
        return None
    return Party(
        id=row[f"{prefix}_party_id"],
        name=row[f"{prefix}_name"],
        postal_address=row[f"{prefix}_address"],
        country=row[f"{prefix}_country"],
        tax_id=row[f"{prefix}_tax_id"],
    )


# A summary invoice's document is its tax invoice; a pre-invoice is an invoice in preparation.
TITLES = {InvoiceType.summary.value: "Tax invoice", InvoiceType.pre_invoice.value: "Pre-invoice"}


def _description(offer_name: str, line: InvoiceLine) -> str:
    """A delta line names its service month and that it is a difference."""
    if line.period_start is None:
        return offer_name
    month = f"{line.period_start:%Y-%m}"
    return f"{offer_name}, {month}" + (" (difference)" if line.delta else "")


def _party_columns(table: Any, prefix: str) -> list[Any]:
    return [
        table.c.id.label(f"{prefix}_party_id"),
        table.c.name.label(f"{prefix}_name"),
        table.c.postal_address.label(f"{prefix}_address"),
        table.c.country.label(f"{prefix}_country"),
        table.c.tax_id.label(f"{prefix}_tax_id"),
    ]


# Built once: constructing these (aliases, labels, joins) for every document cost more CPU than
# running them; each execution only binds the invoice id.
_issuer, _receiver, _source = aliased(partners), aliased(partners), aliased(invoices)
_HEAD = (
    select(
        invoices,
        *_party_columns(_issuer, "issuer"),
        _issuer.c.time_zone.label("issuer_time_zone"),
        *_party_columns(_receiver, "receiver"),
        _receiver.c.locale.label("receiver_locale"),
        _receiver.c.payment_term.label("receiver_payment_term"),
        summary_invoices.c.invoice_date.label("summary_date"),
        summary_invoices.c.reference_code,
    )
    .join(_issuer, _issuer.c.id == invoices.c.issuer_id)
    .outerjoin(_receiver, _receiver.c.id == invoices.c.receiver_id)
    .outerjoin(summary_invoices, summary_invoices.c.invoice_id == invoices.c.id)
    .where(invoices.c.id == bindparam("invoice_id"))
)
# A summary invoice's lines, in the order its document and its tax document list them. The
# offer's name and the source invoice's number are looked up per line by primary key: as joins,
# the planner hashed every invoice in the table whenever its estimate of a summary's lines was
# off (the lines are written moments before tax sync reads them, before any ANALYZE has seen
# them), and that cost 4 ms a read with 12,000 invoices, growing with the table.
_source_number = (
    select(_source.c.number)
    .where(_source.c.id == summary_invoice_lines.c.source_invoice_id)
    .scalar_subquery()
    .label("source_invoice")
)
SUMMARY_LINES = (
    select(
        billing_lines.c.id.label("line_id"),
        select(offers.c.name)
        .where(offers.c.id == billing_lines.c.offer_id)
        .scalar_subquery()
        .label("name"),
        billing_lines.c.quantity,
        billing_lines.c.unit_price,
        billing_lines.c.amount,
        billing_lines.c.currency,
        billing_lines.c.receiver_id,
        _source_number,
    )
    .select_from(summary_invoice_lines)
    .join(billing_lines, billing_lines.c.id == summary_invoice_lines.c.billing_line_id)
    .where(summary_invoice_lines.c.summary_invoice_id == bindparam("invoice_id"))
    .order_by(_source_number, billing_lines.c.id)
)
_SUMMARY_TOTALS = (
    select(summary_invoice_totals)
    .where(summary_invoice_totals.c.summary_invoice_id == bindparam("invoice_id"))
    .order_by(summary_invoice_totals.c.currency)
)


def invoice_document(conn: Connection, invoice_id: str) -> InvoiceDocument:
    iid = parse_uuid(invoice_id, "invoice")
    key = {"invoice_id": iid}
    head = conn.execute(_HEAD, key).mappings().first()
    if head is None:
        raise NotFound(f"No invoice with id {invoice_id!r}.")
    summary = head["type"] == InvoiceType.summary
    line_rows: list[Mapping[str, Any]]
    if summary:
        line_rows = [*conn.execute(SUMMARY_LINES, key).mappings()]
        totals = [
            CurrencyTotals(currency=t.currency, subtotal=t.subtotal, tax=t.tax, total=t.total)
            for t in conn.execute(_SUMMARY_TOTALS, key)
        ]
        invoice_date = head["summary_date"]
    else:
        # The lines as the API reports them: billing lines, or a pre-invoice's delta lines.
        reported = get_invoice(conn, invoice_id).lines
        names = {
            row.id: row.name
            for row in conn.execute(
                select(offers.c.id, offers.c.name).where(
                    offers.c.id.in_(sorted({line.offer_id for line in reported}))
                )
            )
        }
        line_rows = [
            {
                "name": _description(names.get(line.offer_id, line.offer_id), line),
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "amount": line.amount,
                "currency": head["currency"],
                "receiver_id": line.receiver_id,
            }
            for line in reported
        ]
        totals = [
            CurrencyTotals(
                currency=head["currency"],
                subtotal=head["subtotal"],
                tax=head["tax"],
                total=head["total"],
            )
        ]
        # The day it was issued, in the issuer's own time zone.
        invoice_date = head["issued_at"].astimezone(ZoneInfo(head["issuer_time_zone"])).date()
    term = PaymentTerm(
        head["payment_term"] or head["receiver_payment_term"] or PaymentTerm.due_upon_receipt
    )
    return InvoiceDocument(
        title=TITLES.get(head["type"], "Invoice"),
        number=head["number"],
        reference_code=head["reference_code"],
        order_number=head["order_number"],
        period=head["period"],
        invoice_date=invoice_date,
        due_date=head["due_date"] or due_date(invoice_date, term),
        payment_term=term,
        issuer=_party(head, "issuer"),
        receiver=_party(head, "receiver"),
        lines=[
            DocumentLine(
                description=line["name"],
                quantity=line["quantity"],
                unit_price=line["unit_price"],
                amount=line["amount"],
                currency=line["currency"],
                source_invoice=line.get("source_invoice"),
                receiver_id=line["receiver_id"],
            )
            for line in line_rows
        ],
        totals=totals,
        locale=head["receiver_locale"] or "en_US",
    )
