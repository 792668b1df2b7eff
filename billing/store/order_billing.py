"""Bill a settled order in one transaction: its per-order invoice, its outgoing billing lines and
its subscriptions. Safe to run twice: every row it writes has a unique business key.

Two statements: read the order and its items (locking the order), plan what to write
(billing.invoice_per_order, pure), then write everything the plan says in one set-based
statement: the subscriptions, the numbered invoice, the lines, each item's invoice frequency,
the order's completion and the issuer's webhook event. Every round trip an order costs is paid
for by every order of the issuer waiting for the same invoice number lock."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, text

from billing.contracts.order_workflow import OrderBillingResult
from billing.invoice_numbers import INVOICE_SERIES
from billing.invoice_per_order import (
    GroupingFields,
    ItemFacts,
    ItemTerms,
    OrderBillingPlan,
    OrderFacts,
    OrderWrites,
    order_writes,
    plan_order_billing,
)
from billing.store.run_invoicing import number_sql
from billing.vocabulary import (
    BillingType,
    InvoiceFrequency,
    InvoiceStatus,
    InvoiceType,
    OfferCategory,
    OrderStatus,
    OrderType,
    ProvisioningState,
)
from billing.webhook_events import WebhookEventType


def bill_order(conn: Connection, order_number: str) -> OrderBillingResult:
    order, items = read_order(conn, order_number)
    plan = plan_order_billing(
        issuer_invoice_per_order=order.issuer_invoice_per_order,
        items=[facts for facts, _ in items],
    )
    writes = order_writes(order, plan, {terms.item_id: terms for _, terms in items})
    invoice_id, invoice_number = write_order_billing(conn, order, plan, writes)
    return OrderBillingResult(
        invoice_id=str(invoice_id) if invoice_id else None,
        invoice_number=invoice_number,
        per_order_items=[line.item_id for line in plan.per_order],
        monthly_items=[line.item_id for line in plan.monthly],
        failed_items=plan.not_billed,
    )


def read_order(
    conn: Connection, order_number: str
) -> tuple[OrderFacts, list[tuple[ItemFacts, ItemTerms]]]:
    """The order, its issuer's settings and its items in their order, in one read that locks the
    order: one biller per order at a time."""
    rows = conn.execute(_READ, {"order_number": order_number}).mappings().all()
    if not rows:
        raise LookupError(f"no order {order_number!r} to bill")
    first = rows[0]
    order = OrderFacts(
        order_number=order_number,
        issuer_id=first["issuer_id"],
        customer_id=first["customer_id"],
        type=OrderType(first["type"]),
        resold=first["resold"],
        aligns_end_date=first["aligns_end_date"],
        issuer_invoice_per_order=first["invoice_per_order"],
        issuer_delta_invoicing=first["delta_invoicing_enabled_at"] is not None,
    )
    items = [
        (
            ItemFacts(
                item_id=row["item_id"],
                provisioning=ProvisioningState(row["provisioning"]),
                billing_type=BillingType(row["billing_type"]),
                vendor_supports_per_order=row["vendor_supports_per_order"],
                quantity=row["quantity"],
                unit_price=row["unit_price"],
                currency=row["currency"],
            ),
            ItemTerms(
                item_id=row["item_id"],
                offer_id=row["offer_id"],
                vendor_id=row["vendor_id"],
                category=OfferCategory(row["category"]),
                provisioned_at=row["provisioned_at"],
                perpetual=row["perpetual"],
                term_months=row["term_months"],
                billing_type=BillingType(row["billing_type"]),
                grouping=GroupingFields(
                    invoice_group_number=row["invoice_group_number"],
                    bill_to_contact=row["bill_to_contact"],
                    payment_term=row["payment_term"],
                ),
            ),
        )
        for row in rows
    ]
    return order, items


_READ = text(
    """
    select o.issuer_id, o.customer_id, o.type, o.resold, o.aligns_end_date,
           p.invoice_per_order, p.delta_invoicing_enabled_at,
           i.item_id, i.provisioning, i.provisioned_at, i.quantity,
           i.invoice_group_number, i.bill_to_contact, i.payment_term,
           f.category, f.id as offer_id, f.vendor_id, f.billing_type, f.unit_price, f.currency,
           f.perpetual, f.term_months, v.invoice_per_order as vendor_supports_per_order
    from orders o
    join partners p on p.id = o.issuer_id
    join order_items i on i.order_number = o.order_number
    join offers f on f.id = i.offer_id
    join vendors v on v.id = f.vendor_id
    where o.order_number = :order_number
    order by i.position
    for update of o
    """
)


def _one_line(sql: str) -> str:
    # Safe for statements whose quoted literals hold no runs of whitespace.
    return " ".join(sql.split())


# What a new per-order invoice's webhook event says, built where the invoice's id and number
# are known: the statement that writes it.
_EVENT_DATA = """
    jsonb_build_object(
        'order_number', cast(:order_number as text),
        'invoice_id', inv_new.id::text,
        'invoice_number', inv_new.number,
        'customer_id', cast(:customer_id as text),
        'currency', cast(:currency as text),
        'total', cast(:total_text as text)
    )
"""

# One statement for every write of a bill. Data-modifying CTEs all run against the snapshot the
# statement started with, so rows written here are passed on by RETURNING, and rows a previous
# run wrote (a retried activity) are read from the table: the unions below see each row once.
# A number is taken only when the order has no per-order invoice yet, so a rerun leaves no gap.
# The rows come as two JSON arrays rather than a typed array per column, which psycopg dumped
# element by element (about ten times the CPU of the JSON). The text is sent as one line:
# psycopg parses a statement over 4,096 bytes again on every execution.
_WRITE = text(
    _one_line(
        f"""
    with sub_new as (
        insert into subscriptions (
            issuer_id, customer_id, offer_id, order_number, item_id, quantity, starts_at,
            expires_at, perpetual, unit_price, billed_by_delta,
            invoice_group_number, bill_to_contact, payment_term)
        select :issuer_id, :customer_id, s.offer_id, :order_number, s.item_id, s.quantity,
               s.starts_at, s.expires_at, s.perpetual, s.unit_price, s.billed_by_delta,
               s.invoice_group_number, s.bill_to_contact, s.payment_term
        from jsonb_to_recordset(cast(:subscriptions as jsonb)) as s(
            item_id text, offer_id text, quantity integer, starts_at timestamptz,
            expires_at timestamptz, perpetual boolean, unit_price numeric,
            billed_by_delta boolean, invoice_group_number text, bill_to_contact text,
            payment_term text)
        on conflict (order_number, item_id) do nothing
        returning item_id, id
    ),
    sub as (
        select item_id, id from sub_new
        union all
        select item_id, id from subscriptions where order_number = :order_number
    ),
    inv_old as (
        select id, number from invoices
        where order_number = :order_number and type = :per_order_type
    ),
    seq as (
        insert into invoice_number_sequences (issuer_id, series, last_number)
        select :issuer_id, :series, 1
        where cast(:invoiced as boolean) and not exists (select from inv_old)
        on conflict (issuer_id, series)
        do update set last_number = invoice_number_sequences.last_number + 1
        returning last_number
    ),
    inv_new as (
        insert into invoices (
            number, type, status, issuer_id, receiver_id, order_number, currency, subtotal, total)
        select {number_sql("seq.last_number")}, :per_order_type, :verified, :issuer_id,
               cast(:customer_id as text), :order_number, cast(:currency as text),
               cast(:total as numeric), cast(:total as numeric)
        from seq
        returning id, number
    ),
    inv as (
        select id, number from inv_new
        union all
        select id, number from inv_old
    ),
    line_new as (
        insert into billing_lines (
            charge_key, issuer_id, receiver_id, vendor_id, offer_id, order_number, item_id,
            subscription_id, quantity, unit_price, amount, currency, invoice_frequency,
            invoice_id, charge_kind, invoice_group_number, bill_to_contact, payment_term)
        select l.charge_key, :issuer_id, :customer_id, l.vendor_id, l.offer_id, :order_number,
               l.item_id, sub.id, l.quantity, l.unit_price, l.amount, l.currency, l.frequency,
               case when l.frequency = :per_order_frequency then (select id from inv) end,
               l.charge_kind, l.invoice_group_number, l.bill_to_contact, l.payment_term
        from jsonb_to_recordset(cast(:lines as jsonb)) as l(
            charge_key text, item_id text, vendor_id text, offer_id text, quantity integer,
            unit_price numeric, amount numeric, currency text, frequency text,
            charge_kind text, invoice_group_number text, bill_to_contact text,
            payment_term text)
        join sub on sub.item_id = l.item_id
        on conflict (charge_key) do nothing
    ),
    frequencies as (
        update order_items set invoice_frequency = f.frequency
        from unnest(cast(:f_item as text[]), cast(:f_frequency as text[])) as f(item_id, frequency)
        where order_items.order_number = :order_number and order_items.item_id = f.item_id
    ),
    completed as (
        update orders set status = :completed, completed_at = now()
        where order_number = :order_number and completed_at is null
    ),
    event as (
        insert into webhook_events (endpoint_id, type, subject, data)
        select e.id, :event_type, :order_number, {_EVENT_DATA}
        from webhook_endpoints e cross join inv_new
        where e.partner_id = :issuer_id and e.active and :event_type = any(e.events)
        on conflict (endpoint_id, type, subject) do nothing
    )
    select id, number from inv
    """
    )
)


def write_order_billing(
    conn: Connection, order: OrderFacts, plan: OrderBillingPlan, writes: OrderWrites
) -> tuple[UUID | None, str | None]:
    """Write what the plan says; the per-order invoice's id and number, made now or found from
    an earlier run, or (None, None) when nothing of the order is invoiced per order."""
    row = conn.execute(_WRITE, _write_params(order, plan, writes)).first()
    if row is None:
        return None, None
    return row.id, row.number


def _write_params(order: OrderFacts, plan: OrderBillingPlan, writes: OrderWrites) -> dict[str, Any]:
    subs, lines = writes.subscriptions, writes.lines
    billed = [(line.item_id, line.frequency.value) for line in plan.per_order + plan.monthly]
    return {
        "order_number": order.order_number,
        "issuer_id": order.issuer_id,
        "customer_id": order.customer_id,
        "series": INVOICE_SERIES,
        "invoiced": bool(plan.per_order),
        "currency": plan.invoice_currency,
        "total": plan.invoice_subtotal,
        # Amounts in webhook events are the Decimal's own text, as everywhere in the engine.
        "total_text": str(plan.invoice_subtotal),
        "per_order_type": InvoiceType.per_order.value,
        "verified": InvoiceStatus.verified.value,
        "per_order_frequency": InvoiceFrequency.per_order.value,
        "completed": OrderStatus.completed.value,
        "event_type": WebhookEventType.order_invoiced.value,
        "subscriptions": json.dumps(
            [
                {
                    "item_id": s.item_id,
                    "offer_id": s.offer_id,
                    "quantity": s.quantity,
                    "starts_at": s.starts_at.isoformat(),
                    "expires_at": s.expires_at.isoformat(),
                    "perpetual": s.perpetual,
                    "unit_price": str(s.unit_price),
                    "billed_by_delta": s.billed_by_delta,
                    **asdict(s.grouping),
                }
                for s in subs
            ]
        ),
        "lines": json.dumps(
            [
                {
                    "charge_key": w.charge_key,
                    "item_id": w.line.item_id,
                    "vendor_id": w.vendor_id,
                    "offer_id": w.offer_id,
                    "quantity": w.line.quantity,
                    "unit_price": str(w.line.unit_price),
                    "amount": str(w.line.amount),
                    "currency": w.line.currency,
                    "frequency": w.line.frequency.value,
                    "charge_kind": w.charge_kind.value,
                    **asdict(w.grouping),
                }
                for w in lines
            ]
        ),
        "f_item": [item_id for item_id, _ in billed],
        "f_frequency": [frequency for _, frequency in billed],
    }
