"""A month-end run asked for again while it runs is the same run, and invoices each line once."""

from __future__ import annotations

import asyncio

import httpx
from temporalio.client import Client

from tests.recurring import (
    customer,
    invoices,
    provisioned_order,
    recurring_world,
    this_period,
)


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
