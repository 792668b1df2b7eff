"""Recording scenarios for the order workflow's committed histories."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from billing.contracts.order_recovery import OrderRecoveryInput
from billing.contracts.orders import OrderIn
from billing.store.orders import create_order
from tests.histories.record import TASK_QUEUE, Recorder
from tests.refused_invoices import refused_invoice
from tests.world import build_world, order_body, report, submit
from workflows.order import workflow_id
from workflows.order_recovery import OrderRecoveryWorkflow


async def orphans_recovered_in_steps(r: Recorder) -> None:
    """Two committed orders whose workflows never started, and one whose workflow runs, swept
    a page of one order at a time, a step per page."""
    world = await build_world(r.api, "rec-orphan")
    await submit(r.api, world.order_number("RUNNING"), world.seller, world.customer, [("sec", world.security, 1)])  # fmt: skip
    for name in ("ORPHAN-1", "ORPHAN-2"):
        body = order_body(
            world.order_number(name), world.seller, world.customer, [("sec", world.security, 1)]
        )
        with r.engine.begin() as conn:  # committed, but its workflow never started
            create_order(conn, OrderIn.model_validate(body))
    recovery_id = "order-recovery-in-steps-recorded"
    await r.client.execute_workflow(
        OrderRecoveryWorkflow.run,
        OrderRecoveryInput(older_than=timedelta(0), page_size=1, step_budget=timedelta(0)),
        id=recovery_id,
        task_queue=TASK_QUEUE,
    )
    await r.save("order_recovery_in_steps", recovery_id)


async def first_run_per_item(r: Recorder) -> None:
    """An order started with the search attributes it shows, updated only when one changes, and
    a start delay its first report ends: reports one item at a time, one failed."""
    world = await build_world(r.api, "rec-changes")
    number = world.order_number("CHANGES")
    await submit(
        r.api,
        number,
        world.seller,
        world.customer,
        [("sec", world.security, 1), ("data", world.data, 1), ("e5", world.e5, 1)],
    )
    await report(r.api, number, "sec", "succeeded")
    await report(r.api, number, "data", "failed", reason="provisioning rejected")
    await report(r.api, number, "e5", "succeeded")
    await r.save("order_billing_shown_on_retry_per_item", workflow_id(number))


async def first_run_batched(r: Recorder) -> None:
    """The same shape, every outcome in one report: the workflow's first task bills it."""
    world = await build_world(r.api, "rec-changes-batch")
    number = world.order_number("CHANGES-BATCH")
    await submit(
        r.api,
        number,
        world.seller,
        world.customer,
        [("sec", world.security, 1), ("data", world.data, 1), ("e5", world.e5, 1)],
    )
    response = await r.api.post(
        f"/v1/orders/{number}/provisioning",
        json={
            "items": [
                {"item_id": "sec", "outcome": "succeeded"},
                {"item_id": "data", "outcome": "succeeded"},
                {"item_id": "e5", "outcome": "succeeded"},
            ]
        },
    )
    response.raise_for_status()
    await r.save("order_billing_shown_on_retry_batched", workflow_id(number))


async def _two_item_order(r: Recorder, tag: str) -> str:
    world = await build_world(r.api, f"rec-{tag.lower()}")
    number = world.order_number(tag)
    await submit(
        r.api,
        number,
        world.seller,
        world.customer,
        [("sec", world.security, 1), ("data", world.data, 1)],
    )
    return number


async def _recorded_by_hand(r: Recorder, number: str, item: str) -> None:
    response = await r.api.post(
        f"/v1/orders/{number}/items/{item}/manual-outcome",
        json={"outcome": "succeeded", "operator": "ops", "reason": "confirmed with the vendor"},
    )
    response.raise_for_status()


async def first_run_stuck(r: Recorder) -> None:
    """The same shape for an order found stuck, then resolved by hand."""
    number = await _two_item_order(r, "CHANGES-STUCK")
    await report(r.api, number, "sec", "succeeded")
    await r.env.sleep(timedelta(hours=25))
    await _recorded_by_hand(r, number, "data")
    await r.save("order_billing_shown_on_retry_stuck", workflow_id(number))


async def first_run_stuck_unreported(r: Recorder) -> None:
    """No report at all: the start delay ends when the order is stuck, and its first run marks
    it stuck at once; then both outcomes are recorded by hand."""
    number = await _two_item_order(r, "UNREPORTED")
    await r.env.sleep(timedelta(hours=25))
    for item in ("sec", "data"):
        await _recorded_by_hand(r, number, item)
    await r.save("order_billing_shown_on_retry_stuck_unreported", workflow_id(number))


async def billing_retried(r: Recorder) -> None:
    """Every outcome in one report, billing refused by PostgreSQL at its first attempt: the
    order shows Billing, and the retry, a task-queue activity, bills it once the database takes
    the invoice."""
    world = await build_world(r.api, "rec-retried")
    number = world.order_number("RETRIED")
    await submit(r.api, number, world.seller, world.customer, [("sec", world.security, 1)])
    with refused_invoice(r.engine, number):
        response = await r.api.post(
            f"/v1/orders/{number}/provisioning",
            json={"items": [{"item_id": "sec", "outcome": "succeeded"}]},
        )
        response.raise_for_status()
        await asyncio.sleep(1.5)  # the first attempt fails at once; its retries wait for the drop
    await r.save("order_billing_retried_on_task_queue", workflow_id(number))


# order_recovery was recorded when a sweep was one activity;
# order_all_succeed, order_partial_failure, order_batched_report and order_stuck_then_resolved
# were recorded before orders upserted their search attributes only on change, the
# order_upserts_on_change_* histories before an order's workflow started with a delay that its
# first outcome ends, the order_first_run_* histories before the Billing state waited for
# billing's first attempt to fail, and order_billing_retried when that retry was a local
# activity. They stay committed and replayed, for the orders still running in those shapes, and
# are never recorded again: the scenarios below record the shape orders start in now.
SCENARIOS = {
    "order_recovery_in_steps": orphans_recovered_in_steps,
    "order_billing_shown_on_retry_per_item": first_run_per_item,
    "order_billing_shown_on_retry_batched": first_run_batched,
    "order_billing_shown_on_retry_stuck": first_run_stuck,
    "order_billing_shown_on_retry_stuck_unreported": first_run_stuck_unreported,
    "order_billing_retried_on_task_queue": billing_retried,
}
