"""Finds orders recorded in PostgreSQL whose workflow never started (the API died between the
commit and the start, and the order system never retried) and starts them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from temporalio import activity
from temporalio.client import Client

from billing.contracts.common import Page
from billing.contracts.order_recovery import OrderRecoveryInput, OrderRecoveryResult
from billing.contracts.orders import Order
from billing.store.orders import WAITING, list_orders
from billing.temporal.executions import describe_or_none, running_among
from billing.temporal.order_workflows import ensure_order_workflow
from workflows.order import workflow_id


class OrderRecoveryActivities:
    def __init__(
        self, engine: Engine, client: Client, *, task_queue: str, stuck_after: timedelta
    ) -> None:
        self._engine = engine
        self._client = client
        self._task_queue = task_queue
        self._stuck_after = stuck_after

    def _page(self, cutoff: datetime, cursor: str | None) -> Page[Order]:
        with self._engine.begin() as conn:
            return list_orders(
                conn, status=WAITING, created_before=cutoff, cursor=cursor, limit=200
            )

    @activity.defn(name="recover_orders")
    async def recover_orders(self, input: OrderRecoveryInput) -> OrderRecoveryResult:
        cutoff = datetime.now(UTC) - input.older_than
        result = OrderRecoveryResult(checked=0, restarted=[], closed_but_waiting=[])
        cursor: str | None = None
        while True:
            page = await asyncio.to_thread(self._page, cutoff, cursor)
            # Nearly every waiting order's workflow runs; visibility says which in one call per
            # page, so only the rest are described one by one.
            running = await running_among(
                self._client, [workflow_id(order.order_number) for order in page.items]
            )
            for order in page.items:
                result.checked += 1
                if workflow_id(order.order_number) in running:
                    continue
                description = await describe_or_none(self._client, workflow_id(order.order_number))
                if description is None:
                    await ensure_order_workflow(
                        self._client,
                        order,
                        task_queue=self._task_queue,
                        stuck_after=self._stuck_after,
                    )
                    result.restarted.append(order.order_number)
                    continue
                if description.close_time is not None:
                    result.closed_but_waiting.append(order.order_number)
            activity.heartbeat(result.checked)
            cursor = page.next_cursor
            if cursor is None:
                return result
