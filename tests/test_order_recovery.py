"""No order is lost between its commit and its workflow's start: the recovery workflow finds
orders waiting in the database without a workflow and starts them."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
from sqlalchemy import Engine
from temporalio.client import Client

from billing.contracts.order_recovery import OrderRecoveryInput, OrderRecoveryResult
from billing.contracts.orders import OrderIn
from billing.settings import Settings
from billing.store.orders import create_order
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


async def test_an_order_whose_workflow_never_started_is_started_and_billed(
    api: httpx.AsyncClient, temporal: Client, engine: Engine, settings: Settings, world: World
) -> None:
    orphan = world.order_number("ORPHAN")
    # The API committed the order and died before starting its workflow.
    with engine.begin() as conn:
        create_order(
            conn,
            OrderIn.model_validate(
                order_body(orphan, world.seller, world.customer, [("1", world.security, 2)])
            ),
        )
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
