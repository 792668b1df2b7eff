"""Bill a settled order in one transaction: its per-order invoice, its outgoing billing lines and
its subscriptions. Safe to run twice: every row it writes has a unique business key.

The steps: read the order and its items (locking the order), plan what to write
(billing.invoice_per_order, pure), then write the invoice, subscriptions and lines set-based,
record each item's invoice frequency and complete the order."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects.postgresql import insert

from billing.contracts.order_workflow import OrderBillingResult
from billing.invoice_numbers import INVOICE_SERIES
from billing.invoice_per_order import (
    GroupingFields,
    ItemFacts,
    ItemTerms,
    LineToWrite,
    OrderBillingPlan,
    OrderFacts,
    SubscriptionToWrite,
    order_writes,
    plan_order_billing,
)
from billing.schema import (
    billing_lines,
    invoices,
    offers,
    order_items,
    orders,
    partners,
    subscriptions,
    vendors,
)
from billing.store.invoice_numbers import next_invoice_number
from billing.store.webhooks import record_event
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
    order = read_order(conn, order_number)
    items = read_items(conn, order_number)
    plan = plan_order_billing(
        issuer_invoice_per_order=order.issuer_invoice_per_order,
        items=[facts for facts, _ in items],
    )
    writes = order_writes(order, plan, {terms.item_id: terms for _, terms in items})
    invoice_id, invoice_number = write_per_order_invoice(conn, order, plan)
    if writes.subscriptions:
        subscription_ids = write_subscriptions(conn, order, writes.subscriptions)
        if writes.lines:
            write_billing_lines(conn, order, writes.lines, subscription_ids, invoice_id)
        record_invoice_frequencies(conn, order_number, plan)
    complete_order(conn, order_number)
    return OrderBillingResult(
        invoice_id=str(invoice_id) if invoice_id else None,
        invoice_number=invoice_number,
        per_order_items=[line.item_id for line in plan.per_order],
        monthly_items=[line.item_id for line in plan.monthly],
        failed_items=plan.not_billed,
    )


def read_order(conn: Connection, order_number: str) -> OrderFacts:
    """The order and its issuer's setting, locked: one biller per order at a time."""
    row = conn.execute(
        select(
            orders.c.issuer_id,
            orders.c.customer_id,
            orders.c.type,
            orders.c.resold,
            orders.c.aligns_end_date,
            partners.c.invoice_per_order,
            partners.c.delta_invoicing_enabled_at,
        )
        .join(partners, partners.c.id == orders.c.issuer_id)
        .where(orders.c.order_number == order_number)
        .with_for_update(of=orders)
    ).one()
    return OrderFacts(
        order_number=order_number,
        issuer_id=row.issuer_id,
        customer_id=row.customer_id,
        type=OrderType(row.type),
        resold=row.resold,
        aligns_end_date=row.aligns_end_date,
        issuer_invoice_per_order=row.invoice_per_order,
        issuer_delta_invoicing=row.delta_invoicing_enabled_at is not None,
    )


def read_items(conn: Connection, order_number: str) -> list[tuple[ItemFacts, ItemTerms]]:
    """The order's items in their order: what the plan decides on and what the writes carry."""
    rows = conn.execute(
        select(
            order_items.c.item_id,
            order_items.c.provisioning,
            order_items.c.provisioned_at,
            order_items.c.quantity,
            order_items.c.invoice_group_number,
            order_items.c.bill_to_contact,
            order_items.c.payment_term,
            offers.c.category,
            offers.c.id.label("offer_id"),
            offers.c.vendor_id,
            offers.c.billing_type,
            offers.c.unit_price,
            offers.c.currency,
            offers.c.perpetual,
            offers.c.term_months,
            vendors.c.invoice_per_order.label("vendor_supports_per_order"),
        )
        .join(offers, offers.c.id == order_items.c.offer_id)
        .join(vendors, vendors.c.id == offers.c.vendor_id)
        .where(order_items.c.order_number == order_number)
        .order_by(order_items.c.position)
    ).mappings()
    return [
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


def write_per_order_invoice(
    conn: Connection, order: OrderFacts, plan: OrderBillingPlan
) -> tuple[UUID | None, str | None]:
    """The order's per-order invoice, made once (verified at once) and found again on a rerun;
    (None, None) when nothing of the order is invoiced per order."""
    if not plan.per_order:
        return None, None
    currency = plan.invoice_currency
    assert currency is not None
    existing = conn.execute(
        select(invoices.c.id, invoices.c.number).where(
            invoices.c.order_number == order.order_number,
            invoices.c.type == InvoiceType.per_order,
        )
    ).first()
    if existing is not None:
        return existing.id, existing.number
    number = next_invoice_number(conn, order.issuer_id, INVOICE_SERIES)
    invoice_id: UUID = conn.execute(
        insert(invoices)
        .values(
            number=number,
            type=InvoiceType.per_order.value,
            status=InvoiceStatus.verified.value,
            issuer_id=order.issuer_id,
            receiver_id=order.customer_id,
            order_number=order.order_number,
            currency=currency,
            subtotal=plan.invoice_subtotal,
            total=plan.invoice_subtotal,
        )
        .returning(invoices.c.id)
    ).scalar_one()
    record_event(
        conn,
        order.issuer_id,
        WebhookEventType.order_invoiced,
        order.order_number,
        {
            "order_number": order.order_number,
            "invoice_id": str(invoice_id),
            "invoice_number": number,
            "customer_id": order.customer_id,
            "currency": currency,
            "total": str(plan.invoice_subtotal),
        },
    )
    return invoice_id, number


def _grouping_columns(grouping: GroupingFields) -> dict[str, str | None]:
    return {
        "invoice_group_number": grouping.invoice_group_number,
        "bill_to_contact": grouping.bill_to_contact,
        "payment_term": grouping.payment_term,
    }


def write_subscriptions(
    conn: Connection, order: OrderFacts, planned: list[SubscriptionToWrite]
) -> dict[str, UUID]:
    """Insert the order's subscriptions (kept on a rerun) and return every one by item id."""
    conn.execute(
        insert(subscriptions)
        .values(
            [
                {
                    "issuer_id": order.issuer_id,
                    "customer_id": order.customer_id,
                    "offer_id": subscription.offer_id,
                    "order_number": order.order_number,
                    "item_id": subscription.item_id,
                    "quantity": subscription.quantity,
                    "starts_at": subscription.starts_at,
                    "expires_at": subscription.expires_at,
                    "perpetual": subscription.perpetual,
                    "unit_price": subscription.unit_price,
                    "billed_by_delta": subscription.billed_by_delta,
                    **_grouping_columns(subscription.grouping),
                }
                for subscription in planned
            ]
        )
        .on_conflict_do_nothing(
            index_elements=[subscriptions.c.order_number, subscriptions.c.item_id]
        )
    )
    return {
        row.item_id: row.id
        for row in conn.execute(
            select(subscriptions.c.item_id, subscriptions.c.id).where(
                subscriptions.c.order_number == order.order_number
            )
        )
    }


def write_billing_lines(
    conn: Connection,
    order: OrderFacts,
    planned: list[LineToWrite],
    subscription_ids: dict[str, UUID],
    invoice_id: UUID | None,
) -> None:
    """Insert the order's outgoing billing lines (kept on a rerun); per-order lines are linked
    to the per-order invoice, monthly ones wait for a run."""
    conn.execute(
        insert(billing_lines)
        .values(
            [
                {
                    "charge_key": write.charge_key,
                    "issuer_id": order.issuer_id,
                    "receiver_id": order.customer_id,
                    "vendor_id": write.vendor_id,
                    "offer_id": write.offer_id,
                    "order_number": order.order_number,
                    "item_id": write.line.item_id,
                    "subscription_id": subscription_ids[write.line.item_id],
                    "quantity": write.line.quantity,
                    "unit_price": write.line.unit_price,
                    "amount": write.line.amount,
                    "currency": write.line.currency,
                    "invoice_frequency": write.line.frequency.value,
                    "invoice_id": invoice_id
                    if write.line.frequency is InvoiceFrequency.per_order
                    else None,
                    "charge_kind": write.charge_kind.value,
                    **_grouping_columns(write.grouping),
                }
                for write in planned
            ]
        )
        .on_conflict_do_nothing(index_elements=[billing_lines.c.charge_key])
    )


def record_invoice_frequencies(conn: Connection, order_number: str, plan: OrderBillingPlan) -> None:
    """Each billed item shows whether it was invoiced per order or waits for the month end."""
    for frequency, lines in (
        (InvoiceFrequency.per_order, plan.per_order),
        (InvoiceFrequency.monthly, plan.monthly),
    ):
        if lines:
            conn.execute(
                update(order_items)
                .where(
                    order_items.c.order_number == order_number,
                    order_items.c.item_id.in_([line.item_id for line in lines]),
                )
                .values(invoice_frequency=frequency.value)
            )


def complete_order(conn: Connection, order_number: str) -> None:
    conn.execute(
        update(orders)
        .where(orders.c.order_number == order_number, orders.c.completed_at.is_(None))
        .values(status=OrderStatus.completed.value, completed_at=func.now())
    )
