"""Bill a settled order in one transaction: its per-order invoice, its outgoing billing lines and
its subscriptions. Safe to run twice: every row it writes has a unique business key."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import Connection, RowMapping, func, select, update
from sqlalchemy.dialects.postgresql import insert

from billing.consolidation import charge_kind as kind_of_charge
from billing.contracts.order_workflow import OrderBillingResult
from billing.invoice_per_order import ItemFacts, PlannedLine, plan_order_billing
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
from billing.subscriptions import expires_at
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

INVOICE_SERIES = "INV"


def charge_key(order_number: str, item_id: str) -> str:
    return f"order:{order_number}:{item_id}"


def bill_order(conn: Connection, order_number: str) -> OrderBillingResult:
    order = conn.execute(
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
        .with_for_update(of=orders)  # one biller per order at a time
    ).one()
    items = list(
        conn.execute(
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
    )
    plan = plan_order_billing(
        issuer_invoice_per_order=order.invoice_per_order,
        items=[
            ItemFacts(
                item_id=item["item_id"],
                provisioning=ProvisioningState(item["provisioning"]),
                billing_type=BillingType(item["billing_type"]),
                vendor_supports_per_order=item["vendor_supports_per_order"],
                quantity=item["quantity"],
                unit_price=item["unit_price"],
                currency=item["currency"],
            )
            for item in items
        ],
    )
    by_id = {item["item_id"]: item for item in items}

    invoice_id, invoice_number = None, None
    if plan.per_order:
        currency = plan.invoice_currency
        assert currency is not None
        existing = conn.execute(
            select(invoices.c.id, invoices.c.number).where(
                invoices.c.order_number == order_number,
                invoices.c.type == InvoiceType.per_order,
            )
        ).first()
        if existing is None:
            invoice_number = next_invoice_number(conn, order.issuer_id, INVOICE_SERIES)
            invoice_id = conn.execute(
                insert(invoices)
                .values(
                    number=invoice_number,
                    type=InvoiceType.per_order.value,
                    status=InvoiceStatus.verified.value,  # verified at once (seed 000)
                    issuer_id=order.issuer_id,
                    receiver_id=order.customer_id,
                    order_number=order_number,
                    currency=currency,
                    subtotal=plan.invoice_subtotal,
                    total=plan.invoice_subtotal,
                )
                .returning(invoices.c.id)
            ).scalar_one()
        else:
            invoice_id, invoice_number = existing.id, existing.number

    succeeded = plan.per_order + plan.monthly
    charged: list[PlannedLine] = []
    subscription_ids: dict[str, UUID] = {}
    if succeeded:
        subscription_ids = _create_subscriptions(
            conn, order_number, order.issuer_id, order.customer_id, succeeded, by_id
        )
        # With delta invoicing, recurring subscriptions are billed per month by pre-invoice
        # generation only (billing.delta_invoicing): a line here would bill them twice.
        charged = [
            line
            for line in succeeded
            if order.delta_invoicing_enabled_at is None
            or BillingType(by_id[line.item_id]["billing_type"]) is not BillingType.recurring
        ]
    if charged:
        conn.execute(
            insert(billing_lines)
            .values(
                [
                    {
                        "charge_key": charge_key(order_number, line.item_id),
                        "issuer_id": order.issuer_id,
                        "receiver_id": order.customer_id,
                        "vendor_id": by_id[line.item_id]["vendor_id"],
                        "offer_id": by_id[line.item_id]["offer_id"],
                        "order_number": order_number,
                        "item_id": line.item_id,
                        "subscription_id": subscription_ids[line.item_id],
                        "quantity": line.quantity,
                        "unit_price": line.unit_price,
                        "amount": line.amount,
                        "currency": line.currency,
                        "invoice_frequency": line.frequency.value,
                        "invoice_id": invoice_id
                        if line.frequency is InvoiceFrequency.per_order
                        else None,
                        # Recurring billing (issue 4): what the line charges for, and its
                        # grouping fields (empty ones default from the account at run time).
                        "charge_kind": kind_of_charge(
                            order_type=OrderType(order.type),
                            resold=order.resold,
                            aligns_end_date=order.aligns_end_date,
                            category=OfferCategory(by_id[line.item_id]["category"]),
                        ).value,
                        **_grouping_fields(by_id[line.item_id]),
                    }
                    for line in charged
                ]
            )
            .on_conflict_do_nothing(index_elements=[billing_lines.c.charge_key])
        )
    if succeeded:
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
    conn.execute(
        update(orders)
        .where(orders.c.order_number == order_number, orders.c.completed_at.is_(None))
        .values(status=OrderStatus.completed.value, completed_at=func.now())
    )
    return OrderBillingResult(
        invoice_id=str(invoice_id) if invoice_id else None,
        invoice_number=invoice_number,
        per_order_items=[line.item_id for line in plan.per_order],
        monthly_items=[line.item_id for line in plan.monthly],
        failed_items=plan.not_billed,
    )


def _grouping_fields(item: RowMapping) -> dict[str, str | None]:
    return {
        "invoice_group_number": item["invoice_group_number"],
        "bill_to_contact": item["bill_to_contact"],
        "payment_term": item["payment_term"],
    }


def _create_subscriptions(
    conn: Connection,
    order_number: str,
    issuer_id: str,
    customer_id: str,
    lines: list[PlannedLine],
    by_id: dict[str, RowMapping],
) -> dict[str, UUID]:
    """Each succeeded item makes one subscription, starting when it was provisioned and expiring
    after the offer's term."""
    conn.execute(
        insert(subscriptions)
        .values(
            [
                {
                    "issuer_id": issuer_id,
                    "customer_id": customer_id,
                    "offer_id": by_id[line.item_id]["offer_id"],
                    "order_number": order_number,
                    "item_id": line.item_id,
                    "quantity": line.quantity,
                    "starts_at": by_id[line.item_id]["provisioned_at"],
                    "expires_at": expires_at(
                        by_id[line.item_id]["provisioned_at"], by_id[line.item_id]["term_months"]
                    ),
                    "perpetual": by_id[line.item_id]["perpetual"],
                    # The price it was sold at: a later price-list change re-bills no month.
                    "unit_price": by_id[line.item_id]["unit_price"],
                    **_grouping_fields(by_id[line.item_id]),
                }
                for line in lines
            ]
        )
        .on_conflict_do_nothing(
            index_elements=[subscriptions.c.order_number, subscriptions.c.item_id]
        )
    )
    return dict(
        conn.execute(
            select(subscriptions.c.item_id, subscriptions.c.id).where(
                subscriptions.c.order_number == order_number
            )
        ).all()
    )
