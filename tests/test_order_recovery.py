"""No order is lost between its commit and its workflow's start: the recovery workflow finds
orders waiting in the database without a workflow and starts them."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine
from temporalio.api.enums.v1 import EventType
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment

from activities.order_recovery import OrderRecoveryActivities
from billing.contracts.order_recovery import (
    OrderRecoveryInput,
    OrderRecoveryResult,
    OrderRecoveryStep,
)
from billing.contracts.orders import OrderIn
from billing.settings import Settings
from billing.store.orders import WAITING, create_order, list_orders
from billing.temporal.executions import running_among
from tests.world import World, billed, invoices_of, order_body, report, submit
from workflows.order import workflow_id
from workflows.order_recovery import OrderRecoveryWorkflow


async def recover(
    temporal: Client, settings: Settings, older_than: timedelta
) -> OrderRecoveryResult:
    return await temporal.execute_workflow(
        OrderRecoveryWorkflow.run,
        OrderRecoveryInput(older_than=older_than),
        id=f"order-recovery-test-{uuid.uuid4().hex[:8]}",
        task_queue=settings.task_queue,
    )


class WorkerCrashed(Exception):
    pass


def orphan_order(engine: Engine, world: World, name: str, quantity: int = 1) -> str:
    """An order the API committed before it died, without starting its workflow."""
    number = world.order_number(name)
    with engine.begin() as conn:
        create_order(
            conn,
            OrderIn.model_validate(
                order_body(number, world.seller, world.customer, [("1", world.security, quantity)])
            ),
        )
    return number


async def running_orders_and_an_orphan(
    api: httpx.AsyncClient, engine: Engine, world: World, name: str
) -> str:
    """Two submitted orders whose workflows wait, and then an orphan: the newest of the three."""
    for suffix in ("A", "B"):
        await submit(api, world.order_number(f"{name}-{suffix}"), world.seller, world.customer, [("1", world.security, 1)])  # fmt: skip
    return orphan_order(engine, world, f"{name}-ORPHAN")


def waiting_orders(engine: Engine) -> int:
    with engine.begin() as conn:
        return len(list_orders(conn, status=WAITING).items)


async def test_an_order_whose_workflow_never_started_is_started_and_billed(
    api: httpx.AsyncClient, temporal: Client, engine: Engine, settings: Settings, world: World
) -> None:
    orphan = orphan_order(engine, world, "ORPHAN", quantity=2)
    healthy = world.order_number("HEALTHY")
    await submit(api, healthy, world.seller, world.customer, [("1", world.security, 1)])

    too_young = await recover(temporal, settings, timedelta(hours=1))
    assert orphan not in too_young.restarted

    result = await recover(temporal, settings, timedelta(0))
    assert orphan in result.restarted
    assert healthy not in result.restarted  # its workflow runs: left alone
    again = await recover(temporal, settings, timedelta(0))
    assert orphan not in again.restarted  # started once

    # The order system's report now reaches a running workflow, and the order is billed.
    assert (await report(api, orphan, "1", "succeeded")).status_code == 200
    outcome = await billed(temporal, orphan)
    [invoice] = await invoices_of(api, orphan)
    assert invoice["id"] == outcome.invoice_id and invoice["total"] == "20.00"


async def test_an_order_whose_workflow_was_closed_by_hand_is_flagged_not_restarted(
    api: httpx.AsyncClient, temporal: Client, settings: Settings, world: World
) -> None:
    number = world.order_number("TERMINATED")
    await submit(api, number, world.seller, world.customer, [("1", world.security, 1)])
    running = world.order_number("STILL-WAITING")
    await submit(api, running, world.seller, world.customer, [("1", world.security, 1)])
    await temporal.get_workflow_handle(workflow_id(number)).terminate("closed by an operator")
    # Visibility, which recovery reads first, trails the close by a moment.
    ids = [workflow_id(number), workflow_id(running), workflow_id(world.order_number("NEVER"))]
    for _ in range(50):
        if await running_among(temporal, ids) == {workflow_id(running)}:
            break
        await asyncio.sleep(0.1)
    assert await running_among(temporal, ids) == {workflow_id(running)}

    result = await recover(temporal, settings, timedelta(0))

    assert number in result.closed_but_waiting
    assert number not in result.restarted  # a finished id is never run again
    assert running not in result.closed_but_waiting and running not in result.restarted
    assert result.checked >= 2


async def test_a_long_sweep_goes_in_steps_and_says_how_far_it_has_come(
    api: httpx.AsyncClient, temporal: Client, engine: Engine, settings: Settings, world: World
) -> None:
    orphan = await running_orders_and_an_orphan(api, engine, world, "STEPS")
    # About three pages of waiting orders, and a budget that ends each step after one page.
    page_size = max(1, waiting_orders(engine) // 3)
    handle = await temporal.start_workflow(
        OrderRecoveryWorkflow.run,
        OrderRecoveryInput(older_than=timedelta(0), page_size=page_size, step_budget=timedelta(0)),
        id=f"order-recovery-steps-{uuid.uuid4().hex[:8]}",
        task_queue=settings.task_queue,
    )
    result = await handle.result()

    assert orphan in result.restarted and result.restarted_count == len(result.restarted)
    assert result.cursor is None
    steps = [
        e
        for e in (await handle.fetch_history()).events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert len(steps) >= 3
    # Each step checked at most a page, and the steps together checked every waiting order.
    assert len(steps) * page_size >= result.checked > (len(steps) - 2) * page_size
    assert await handle.query(OrderRecoveryWorkflow.progress) == result
    shown = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    assert shown.current_details.startswith(f"Checked {result.checked} waiting order(s)")


async def test_a_retried_step_goes_on_after_its_last_heartbeat(
    api: httpx.AsyncClient, temporal: Client, engine: Engine, settings: Settings, world: World
) -> None:
    orphan = await running_orders_and_an_orphan(api, engine, world, "RESUME")
    activities = OrderRecoveryActivities(
        engine, temporal, task_queue=settings.task_queue, stuck_after=settings.order_stuck_after
    )
    step = OrderRecoveryStep(
        cutoff=datetime.now(UTC), page_size=1, budget=timedelta(minutes=5)
    )  # fmt: skip

    # The first attempt checks two pages of one order, reports them, and its worker dies.
    first = ActivityEnvironment()
    beats: list[OrderRecoveryResult] = []

    def crash_on_second(*details: object) -> None:
        beats.append(OrderRecoveryResult.model_validate(details[0]))
        if len(beats) == 2:
            raise WorkerCrashed

    first.on_heartbeat = crash_on_second
    with pytest.raises(WorkerCrashed):
        await first.run(activities.recover_orders_step, step)
    assert [beat.checked for beat in beats] == [1, 2]

    # The retry carries on after the second order: its first page is the third order checked.
    retry = ActivityEnvironment()
    retry.info = dataclasses.replace(
        retry.info, heartbeat_details=[beats[-1].model_dump(mode="json")], attempt=2
    )
    retried: list[int] = []
    retry.on_heartbeat = lambda *details: retried.append(details[0].checked)
    done = await retry.run(activities.recover_orders_step, step)
    assert retried[:1] == [3]
    assert done.cursor is None and done.checked >= 3
    assert orphan in done.restarted
