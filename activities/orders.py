"""Activities of the order workflow: each is one database transaction, safe to run twice."""

from __future__ import annotations

from sqlalchemy import Engine
from temporalio import activity

from billing.contracts.order_workflow import (
    BillOrderInput,
    MarkOrderStuckInput,
    OrderBillingResult,
)
from billing.fault_injection import kill_point
from billing.store.order_billing import bill_order
from billing.store.orders import mark_stuck
from billing.vocabulary import Outcome


class OrderActivities:
    """Synchronous activities: the worker runs them in a thread pool sized to its activity slots,
    with a connection pool of the same size."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn(name="bill_order")
    def bill_order(self, input: BillOrderInput) -> OrderBillingResult:
        with self._engine.begin() as conn:
            result = bill_order(conn, input.order_number)
            kill_point("bill_order.in_transaction")
        kill_point("bill_order.after_commit")
        activity.logger.info("order billed", extra={"invoice_number": result.invoice_number})
        return result

    @activity.defn(name="mark_order_stuck")
    def mark_order_stuck(self, input: MarkOrderStuckInput) -> dict[str, Outcome]:
        with self._engine.begin() as conn:
            return mark_stuck(conn, input.order_number)
