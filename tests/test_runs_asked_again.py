"""A month-end or consolidation run asked again for a period (or day) it has finished invoices
the lines that arrived since, and nothing twice; asked for again while it runs, it is the same
run."""

from __future__ import annotations

import asyncio

import httpx
from temporalio.client import Client

from tests.recurring import (
    consolidate,
    customer,
    invoices,
    month_end,
    provisioned_order,
    recurring_world,
    this_period,
)
from tests.test_consolidation import due_customer


async def test_a_finished_month_end_run_again_invoices_only_the_lines_that_arrived_since(
    api: httpx.AsyncClient, temporal: Client
) -> None:
    w = await recurring_world(api)
    a = await customer(api, w, "A")
    period = this_period()
    item = [{"item_id": "1", "offer_id": w.e5, "quantity": 3}]
    await provisioned_order(api, temporal, w.id("FIRST"), w.issuer, a, item)
    first, _ = await month_end(api, temporal, w.issuer, period)
    assert (first.invoices_created, first.lines_invoiced) == (1, 1)

    # A late provisioning of the same month, after the run.
    await provisioned_order(api, temporal, w.id("LATE"), w.issuer, a, item)
    again, shown = await month_end(api, temporal, w.issuer, period)
    assert (again.invoices_created, again.lines_invoiced) == (1, 1)
    assert shown["status"] == "completed" and shown["lines_invoiced"] == 1
    made = await invoices(api, issuer_id=w.issuer)
    assert sorted([line["order_number"] for line in i["lines"]] for i in made) == sorted(
        [[w.id("FIRST")], [w.id("LATE")]]
    )
    assert len({i["number"] for i in made}) == 2
    third, _ = await month_end(api, temporal, w.issuer, period)
    assert (third.invoices_created, third.lines_invoiced) == (0, 0)


async def test_a_finished_consolidation_run_again_invoices_only_a_late_renewal(
    api: httpx.AsyncClient, temporal: Client
) -> None:
    due = await due_customer(api)
    w = due.world
    item = [{"item_id": "x", "offer_id": w.e5, "quantity": 1}]
    await provisioned_order(api, temporal, w.id("R1"), w.issuer, due.customer, item, type="renewal")
    first, _ = await consolidate(api, temporal, due.as_of.isoformat())
    assert (first.invoices_created, first.lines_invoiced) == (1, 1)
    # A renewal made after the run, for the same billing day.
    await provisioned_order(api, temporal, w.id("R2"), w.issuer, due.customer, item, type="renewal")
    again, _ = await consolidate(api, temporal, due.as_of.isoformat())
    assert (again.invoices_created, again.lines_invoiced) == (1, 1)
    made = await invoices(api, receiver_id=due.customer, type="consolidated")
    assert sorted(line["order_number"] for i in made for line in i["lines"]) == sorted(
        [w.id("R1"), w.id("R2")]
    )
    assert {i["period"] for i in made} == {due.billing_date.isoformat()}
    third, _ = await consolidate(api, temporal, due.as_of.isoformat())
    assert (third.invoices_created, third.lines_invoiced) == (0, 0)


async def test_a_month_end_run_asked_for_twice_at_once_is_one_run(
    api: httpx.AsyncClient, temporal: Client
) -> None:
    w = await recurring_world(api)
    a = await customer(api, w, "A")
    item = [{"item_id": "1", "offer_id": w.e5, "quantity": 1}]
    await provisioned_order(api, temporal, w.id("ONCE"), w.issuer, a, item)
    body = {"issuer_id": w.issuer, "period": this_period()}
    answers = await asyncio.gather(*(api.post("/v1/billing-runs", json=body) for _ in range(3)))
    assert {a.status_code for a in answers} == {202}
    [run_id] = {a.json()["run_id"] for a in answers}
    handle = temporal.get_workflow_handle(run_id)
    await handle.result()
    runs = [
        execution.run_id async for execution in temporal.list_workflows(f"WorkflowId = '{run_id}'")
    ]
    assert len(runs) == 1
    [only] = await invoices(api, issuer_id=w.issuer)
    assert len(only["lines"]) == 1
