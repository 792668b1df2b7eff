"""Orders and their items' provisioning outcomes: the record the order workflow acts on."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    DateTime,
    bindparam,
    case,
    exists,
    func,
    null,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert

from billing.contracts.common import Page
from billing.contracts.orders import ManualOutcomeIn, Order, OrderIn, OrderItem, ProvisioningIn
from billing.errors import Conflict, NotFound
from billing.order_validation import Party, check_offers, check_parties
from billing.schema import audit_log, invoices, offers, order_items, orders, partners
from billing.store.pagination import keyset_page
from billing.store.visibility import seen_by
from billing.store.webhooks import record_event
from billing.vocabulary import InvoiceType, OrderStatus, Outcome, PartnerLevel, ProvisioningState
from billing.webhook_events import WebhookEventType


def request_digest(body: OrderIn) -> str:
    # Defaults left out: a body without the recurring-billing fields digests as it did before
    # they existed, so resubmissions of older orders stay idempotent.
    return hashlib.sha256(body.model_dump_json(exclude_defaults=True).encode()).hexdigest()


def create_order(conn: Connection, body: OrderIn) -> tuple[Order, bool]:
    """Record a new order, or return the one already recorded under this number when the body is
    the same (a retried submission). Returns the order and whether it was created now."""
    digest = request_digest(body)
    existing = _existing_order(conn, body.order_number, digest)
    if existing is not None:
        return existing, False
    _validate_new_order(conn, body)
    inserted = (
        conn.execute(
            insert(orders)
            .values(
                order_number=body.order_number,
                issuer_id=body.issuer_id,
                customer_id=body.customer_id,
                request_digest=digest,
                type=body.type.value,
                resold=body.resold,
                aligns_end_date=body.aligns_end_date,
            )
            .on_conflict_do_nothing(index_elements=[orders.c.order_number])
            .returning(*orders.c)
        )
        .mappings()
        .first()
    )
    if inserted is None:  # a concurrent submission of the same number won the race
        existing = _existing_order(conn, body.order_number, digest)
        assert existing is not None
        return existing, False
    # The inserts return the rows as stored (defaults included), so the response needs no
    # read-back of the new order.
    items = conn.execute(
        insert(order_items).returning(*order_items.c, sort_by_parameter_order=True),
        [
            {
                "order_number": body.order_number,
                "item_id": item.item_id,
                "position": position,
                "offer_id": item.offer_id,
                "quantity": item.quantity,
                "invoice_group_number": item.invoice_group_number,
                "bill_to_contact": item.bill_to_contact,
                "payment_term": item.payment_term.value if item.payment_term else None,
            }
            for position, item in enumerate(body.items)
        ],
    ).mappings()
    return _assemble([inserted], {body.order_number: [_item(row) for row in items]}, {})[0], True


def _existing_order(conn: Connection, order_number: str, digest: str) -> Order | None:
    stored = conn.scalar(
        select(orders.c.request_digest).where(orders.c.order_number == order_number)
    )
    if stored is None:
        return None
    if stored != digest:
        raise Conflict(
            f"Order {order_number!r} was already submitted with different contents. "
            "An order number identifies one order: submit changes as a new order."
        )
    return get_order(conn, order_number)


def _validate_new_order(conn: Connection, body: OrderIn) -> None:
    found = {
        row.id: Party(level=PartnerLevel(row.level), parent_id=row.parent_id)
        for row in conn.execute(
            select(partners.c.id, partners.c.level, partners.c.parent_id).where(
                partners.c.id.in_([body.issuer_id, body.customer_id])
            )
        )
    }
    check_parties(
        body.issuer_id,
        body.customer_id,
        found.get(body.issuer_id),
        found.get(body.customer_id),
    )
    wanted = {item.offer_id for item in body.items}
    currencies = {
        row.id: row.currency
        for row in conn.execute(
            select(offers.c.id, offers.c.currency).where(offers.c.id.in_(wanted))
        )
    }
    check_offers(wanted, currencies)


def get_order(conn: Connection, order_number: str, *, visible_to: str | None = None) -> Order:
    """`visible_to`: a partner, who sees the orders it issued (else: not found, as for an
    unknown number)."""
    query = seen_by(
        select(orders).where(orders.c.order_number == order_number), visible_to, orders.c.issuer_id
    )
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"No order with number {order_number!r}.")
    return _orders_with_items(conn, [row])[0]


def _orders_with_items(conn: Connection, rows: list[Any]) -> list[Order]:
    numbers = [row["order_number"] for row in rows]
    items: dict[str, list[OrderItem]] = {n: [] for n in numbers}
    for item in conn.execute(
        select(order_items)
        .where(order_items.c.order_number.in_(numbers))
        .order_by(order_items.c.order_number, order_items.c.position)
    ).mappings():
        items[item["order_number"]].append(_item(item))
    # A per-order invoice is written in the transaction that completes its order, so orders
    # still waiting (every report's answer) need no look-up.
    completed = [row["order_number"] for row in rows if row["status"] == OrderStatus.completed]
    invoice_ids = (
        dict(
            conn.execute(
                select(invoices.c.order_number, invoices.c.id).where(
                    invoices.c.order_number.in_(completed),
                    invoices.c.type == InvoiceType.per_order,
                )
            ).all()
        )
        if completed
        else {}
    )
    return _assemble(rows, items, invoice_ids)


def _item(row: Any) -> OrderItem:
    return OrderItem(
        item_id=row["item_id"],
        offer_id=row["offer_id"],
        quantity=row["quantity"],
        provisioning=row["provisioning"],
        reason=row["provisioning_reason"],
        reported_at=row["reported_at"],
        reported_by=row["reported_by"],
        invoice_frequency=row["invoice_frequency"],
        invoice_group_number=row["invoice_group_number"],
        bill_to_contact=row["bill_to_contact"],
        payment_term=row["payment_term"],
    )


def _assemble(
    rows: list[Any], items: dict[str, list[OrderItem]], invoice_ids: Mapping[str, Any]
) -> list[Order]:
    return [
        Order(
            order_number=row["order_number"],
            issuer_id=row["issuer_id"],
            customer_id=row["customer_id"],
            status=row["status"],
            created_at=row["created_at"],
            stuck_since=row["stuck_since"],
            completed_at=row["completed_at"],
            items=items[row["order_number"]],
            pending_items=[
                i.item_id
                for i in items[row["order_number"]]
                if i.provisioning is ProvisioningState.pending
            ],
            invoice_id=str(invoice_ids[row["order_number"]])
            if row["order_number"] in invoice_ids
            else None,
            type=row["type"],
            resold=row["resold"],
            aligns_end_date=row["aligns_end_date"],
            paid_at=row["paid_at"],
        )
        for row in rows
    ]


# Orders whose workflow is still waiting for provisioning outcomes.
WAITING = (OrderStatus.awaiting_provisioning, OrderStatus.stuck)


def list_orders(
    conn: Connection,
    *,
    status: OrderStatus | tuple[OrderStatus, ...] | None = None,
    customer_id: str | None = None,
    issuer_id: str | None = None,
    created_before: datetime | None = None,
    visible_to: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Order]:
    query = seen_by(select(orders), visible_to, orders.c.issuer_id)
    if isinstance(status, OrderStatus):
        query = query.where(orders.c.status == status.value)
    elif status is not None:
        query = query.where(orders.c.status.in_([s.value for s in status]))
    if created_before is not None:
        query = query.where(orders.c.created_at < created_before)
    if customer_id is not None:
        query = query.where(orders.c.customer_id == customer_id)
    if issuer_id is not None:
        query = query.where(orders.c.issuer_id == issuer_id)
    rows, next_cursor = keyset_page(
        conn, query, order=[orders.c.created_at, orders.c.order_number], cursor=cursor, limit=limit
    )
    page = _orders_with_items(conn, rows)
    return Page[Order](items=page, next_cursor=next_cursor)


def record_outcome(
    conn: Connection,
    order_number: str,
    item_id: str,
    body: ProvisioningIn,
) -> tuple[Order, bool]:
    """Record an item's provisioning outcome once. The same outcome again changes nothing (order
    systems retry); a different one is refused. Returns the order and whether anything changed."""
    order, changed = record_outcomes(conn, order_number, {item_id: body})
    return order, bool(changed)


def record_outcomes(
    conn: Connection, order_number: str, reports: Mapping[str, ProvisioningIn]
) -> tuple[Order, list[str]]:
    """Record several items' outcomes at once, all or none: each as `record_outcome` would, in
    one locking read and one update. Returns the order and the items that changed."""
    found = {
        row.item_id: row
        for row in conn.execute(
            select(order_items.c.item_id, order_items.c.provisioning, order_items.c.reported_at)
            .where(
                order_items.c.order_number == order_number,
                order_items.c.item_id.in_(list(reports)),
            )
            .with_for_update()
        )
    }
    missing = [item_id for item_id in reports if item_id not in found]
    if missing:
        if conn.scalar(select(orders.c.order_number).where(orders.c.order_number == order_number)):
            raise NotFound(f"Order {order_number!r} has no item {missing[0]!r}.")
        raise NotFound(f"No order with number {order_number!r}.")
    pending = []
    for item_id, body in reports.items():
        item = found[item_id]
        if item.provisioning == ProvisioningState.pending:
            pending.append(item_id)
        elif item.provisioning != body.outcome:
            raise Conflict(
                f"Item {item_id!r} of order {order_number!r} was already reported "
                f"{item.provisioning} at {item.reported_at:%Y-%m-%d %H:%M:%S %Z}; an outcome, "
                "once recorded, is final."
            )
    if pending:
        conn.execute(
            update(order_items)
            .where(
                order_items.c.order_number == order_number,
                order_items.c.item_id == bindparam("item"),
            )
            .values(
                provisioning=bindparam("outcome"),
                provisioning_reason=bindparam("reason"),
                provisioned_at=case(
                    (
                        bindparam("succeeded", type_=Boolean),
                        func.coalesce(bindparam("at", type_=DateTime(timezone=True)), func.now()),
                    ),
                    else_=null(),
                ),
                reported_at=func.now(),
                reported_by=bindparam("operator"),
            )
            .execution_options(synchronize_session=False),
            [_outcome_values(item_id, reports[item_id]) for item_id in pending],
        )
        audited = [item_id for item_id in pending if isinstance(reports[item_id], ManualOutcomeIn)]
        if audited:
            conn.execute(
                insert(audit_log),
                [_audit_entry(order_number, item_id, reports[item_id]) for item_id in audited],
            )
    return get_order(conn, order_number), pending


def _outcome_values(item_id: str, body: ProvisioningIn) -> dict[str, Any]:
    return {
        "item": item_id,
        "outcome": body.outcome.value,
        "reason": body.reason,
        # Only a succeeded item starts a subscription, then or now.
        "succeeded": body.outcome is Outcome.succeeded,
        "at": body.provisioned_at,
        "operator": body.operator if isinstance(body, ManualOutcomeIn) else None,
    }


def _audit_entry(order_number: str, item_id: str, body: ProvisioningIn) -> dict[str, Any]:
    assert isinstance(body, ManualOutcomeIn)
    return {
        "actor": body.operator,
        "action": "provisioning.recorded_by_hand",
        "subject": f"order:{order_number}:item:{item_id}",
        "detail": {"outcome": body.outcome.value, "reason": body.reason},
    }


def mark_stuck(conn: Connection, order_number: str) -> dict[str, Outcome]:
    """Flag an order that still waits past its threshold, and return the outcomes the database
    holds, so a workflow that missed a signal catches up."""
    marked = conn.execute(
        update(orders)
        .where(
            orders.c.order_number == order_number,
            orders.c.status == OrderStatus.awaiting_provisioning,
            exists().where(
                order_items.c.order_number == order_number,
                order_items.c.provisioning == ProvisioningState.pending,
            ),
        )
        .values(status=OrderStatus.stuck.value, stuck_since=func.now())
        .returning(orders.c.issuer_id, orders.c.customer_id)
    ).first()
    if marked is not None:
        record_event(
            conn,
            marked.issuer_id,
            WebhookEventType.order_stuck,
            order_number,
            {"order_number": order_number, "customer_id": marked.customer_id},
        )
    return reported_outcomes(conn, order_number)


def reported_outcomes(conn: Connection, order_number: str) -> dict[str, Outcome]:
    return {
        item_id: Outcome(state)
        for item_id, state in conn.execute(
            select(order_items.c.item_id, order_items.c.provisioning).where(
                order_items.c.order_number == order_number,
                order_items.c.provisioning != ProvisioningState.pending,
            )
        ).all()
    }
