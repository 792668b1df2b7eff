"""The month-end generation on the time-skipping test server: time jumps to the first of next
month, and the workflow the month-end schedule starts (the test server implements no
Schedules) generates the pre-invoices of every issuer with delta invoicing as of that day."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from billing.contracts.pre_invoices import MonthEndPreInvoicesInput, PreInvoiceRunResult
from billing.delta_invoicing import month_start, next_month
from tests.delta import delta_world, pre_invoices, subscription
from worker import build_worker
from workflows.pre_invoices import MonthEndPreInvoicesWorkflow


async def test_the_month_end_generates_every_delta_issuers_pre_invoices_as_of_its_day(
    time_skipping_env: WorkflowEnvironment, time_skipping_api: httpx.AsyncClient, engine: Engine
) -> None:
    env, api = time_skipping_env, time_skipping_api
    today = (await env.get_current_time()).astimezone(UTC).date()
    this_month = month_start(today)
    first_of_next = next_month(this_month)
    w = await delta_world(api, months=[this_month, first_of_next])
    sub = await subscription(
        api, env.client, w, "S1", starts=f"{this_month.isoformat()}T00:00:00Z", quantity=3
    )

    queue = f"delta-skip-{uuid.uuid4().hex[:6]}"
    with env.auto_time_skipping_disabled():
        now = (await env.get_current_time()).astimezone(UTC)
        await env.sleep(datetime.combine(first_of_next, now.timetz()) - now)
        async with build_worker(env.client, engine, task_queue=queue):
            results = await env.client.execute_workflow(
                MonthEndPreInvoicesWorkflow.run,
                MonthEndPreInvoicesInput(),
                id=f"pre-invoices-month-end-{w.suffix}",
                task_queue=queue,
            )

    run_id = f"pre-invoice-run-{w.issuer}-{first_of_next.isoformat()}-1"
    [mine] = [r for r in results if r.run_id == run_id]
    assert isinstance(mine, PreInvoiceRunResult) and mine.lines_written == 2
    billed = sorted(
        (line["period_start"], line["amount"])
        for i in await pre_invoices(api, w)
        for line in i["lines"]
        if line["subscription_id"] == sub["id"]
    )
    # Both months started on or before the day it ran, each in full: 3 x 31.00.
    assert billed == [(this_month.isoformat(), "93.00"), (first_of_next.isoformat(), "93.00")]
    shown = await api.get(f"/v1/pre-invoice-runs/{run_id}")
    assert shown.json()["status"] == "completed"
