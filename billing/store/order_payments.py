"""Orders paid by hand, outside any invoice: recorded with who did it, and left out of
billing-day consolidation."""

from __future__ import annotations

from sqlalchemy import Connection, func, update
from sqlalchemy.dialects.postgresql import insert

from billing.contracts.orders import ManualPaymentIn, Order
from billing.errors import Conflict, NotFound
from billing.schema import audit_log, orders
from billing.store.orders import get_order


def record_manual_payment(conn: Connection, order_number: str, body: ManualPaymentIn) -> Order:
    order = get_order(conn, order_number)  # NotFound for an unknown number
    paid = conn.execute(
        update(orders)
        .where(orders.c.order_number == order_number, orders.c.paid_at.is_(None))
        .values(paid_at=body.paid_at or func.now(), paid_by=body.operator)
        .returning(orders.c.paid_at)
    ).first()
    if paid is None:
        if order.paid_at is None:  # pragma: no cover - the row exists, so only a race lands here
            raise NotFound(f"No order with number {order_number!r}.")
        raise Conflict(f"Order {order_number!r} was already paid at {order.paid_at:%Y-%m-%d}.")
    conn.execute(
        insert(audit_log).values(
            actor=body.operator,
            action="order.paid_by_hand",
            subject=f"order:{order_number}",
            detail={"paid_at": paid.paid_at.isoformat()},
        )
    )
    return get_order(conn, order_number)
