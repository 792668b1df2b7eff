"""Finds orders recorded in PostgreSQL whose workflow never started (the API died between the
commit and the start, and the order system never retried) and starts them.

A sweep is a series of steps, each an activity that checks pages of waiting orders until its
time budget has passed and hands the cursor on, so however many orders wait, no activity
outlasts its timeout. A step heartbeats what it has done after each page; a retried step goes
on from there. A page checked twice (a crash between its work and the heartbeat) starts
nothing twice: a workflow is started only under its order's id, once."""

from __future__ import annotations

import asyncio
import math
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from temporalio import activity
from temporalio.client import Client

from billing.contracts.common import Page
from billing.contracts.order_recovery import (
    OrderRecoveryInput,
    OrderRecoveryResult,
    OrderRecoveryStep,
)
from billing.contracts.orders import Order
from billing.store.orders import WAITING, list_orders
from billing.temporal.executions import describe_or_none, running_among
from billing.temporal.order_workflows import ensure_order_workflow
from workflows.order import workflow_id


def _resumed(step: OrderRecoveryStep) -> OrderRecoveryResult:
    """Where this attempt starts: after the last page a previous attempt reported, if any."""
    details = activity.info().heartbeat_details
    if details:
        return OrderRecoveryResult.model_validate(details[0])
    return OrderRecoveryResult.nothing_yet(step.cursor)


class OrderRecoveryActivities:
    def __init__(
        self, engine: Engine, client: Client, *, task_queue: str, stuck_after: timedelta
    ) -> None:
        self._engine = engine
        self._client = client
        self._task_queue = task_queue
        self._stuck_after = stuck_after

    def _page(self, step: OrderRecoveryStep, cursor: str | None) -> Page[Order]:
        with self._engine.begin() as conn:
            return list_orders(
                conn,
                status=WAITING,
                created_before=step.cutoff,
                cursor=cursor,
                limit=step.page_size,
            )

    async def _check(self, page: Page[Order]) -> OrderRecoveryResult:
        # Nearly every waiting order's workflow runs; visibility says which in one call per
        # page, so only the rest are described one by one.
        running = await running_among(
            self._client, [workflow_id(order.order_number) for order in page.items]
        )
        unlisted = [o for o in page.items if workflow_id(o.order_number) not in running]
        restarted: list[str] = []
        closed: list[str] = []
        for order in unlisted:
            description = await describe_or_none(self._client, workflow_id(order.order_number))
            if description is None:
                await ensure_order_workflow(
                    self._client, order, task_queue=self._task_queue, stuck_after=self._stuck_after
                )
                restarted.append(order.order_number)
            elif description.close_time is not None:
                closed.append(order.order_number)
        return OrderRecoveryResult(
            checked=len(page.items),
            restarted=restarted,
            closed_but_waiting=closed,
            described=len(unlisted),
            cursor=page.next_cursor,
        )

    async def _sweep(
        self, step: OrderRecoveryStep, done: OrderRecoveryResult, deadline: float
    ) -> OrderRecoveryResult:
        """Check pages after `done`'s cursor until none is left or `deadline` (monotonic) has
        passed, heartbeating after each page."""
        while True:
            page = await asyncio.to_thread(self._page, step, done.cursor)
            done = done.then(await self._check(page))
            if done.cursor is None or time.monotonic() >= deadline:
                return done
            activity.heartbeat(done)

    @activity.defn(name="recover_orders_step")
    async def recover_orders_step(self, step: OrderRecoveryStep) -> OrderRecoveryResult:
        deadline = time.monotonic() + step.budget.total_seconds()
        return await self._sweep(step, _resumed(step), deadline)

    @activity.defn(name="recover_orders")
    async def recover_orders(self, input: OrderRecoveryInput) -> OrderRecoveryResult:
        """The whole sweep in one activity, as sweeps started before there were steps ask."""
        step = OrderRecoveryStep(
            cutoff=datetime.now(UTC) - input.older_than,
            page_size=input.page_size,
            budget=input.step_budget,
        )
        return await self._sweep(step, OrderRecoveryResult.nothing_yet(), deadline=math.inf)
