"""Living through a renewal, a billing day and a month end on the time-skipping test server,
one day at a time, running the workflows the schedules start (the test server implements no
Schedules) exactly as they would: nothing may be generated twice."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from billing.contracts.billing_runs import ConsolidationInput, MonthEndInput
from billing.subscriptions import add_months
from tests.recurring import customer, invoices, provisioned_order, recurring_world
from worker import build_worker
from workflows.billing_runs import DailyConsolidationWorkflow, MonthEndWorkflow

DAYS = 42


async def test_a_renewal_a_billing_day_and_a_month_end_each_bill_once(
    time_skipping_env: WorkflowEnvironment, time_skipping_api: httpx.AsyncClient, engine: Engine
) -> None:
    env, api = time_skipping_env, time_skipping_api
    today = (await env.get_current_time()).astimezone(UTC)
    billing_date = (today + timedelta(days=10)).date()
    w = await recurring_world(
        api, settings={"consolidation": {"enabled": True, "days_before_billing_day": 5}}
    )
    who = await customer(
        api, w, "C", billing_day=billing_date.day, renewal_order_days=30, bill_to_contact="Ada"
    )
    ends = datetime.combine((today + timedelta(days=20)).date(), datetime.min.time(), tzinfo=UTC)
    number = w.id("SUB")
    await provisioned_order(
        api,
        env.client,
        number,
        w.issuer,
        who,
        [{"item_id": "e5", "offer_id": w.e5, "quantity": 1}],
        provisioned_at=add_months(ends, -12).isoformat(),
    )

    queue = f"recurring-skip-{uuid.uuid4().hex[:6]}"
    # Time moves only when the test says a day has passed: left to skip on its own, the test
    # server would also jump over the activities' timeouts while they work.
    with env.auto_time_skipping_disabled():
        async with build_worker(env.client, engine, task_queue=queue):
            for day in range(DAYS):
                now = (await env.get_current_time()).astimezone(UTC)
                stamp = f"{now:%Y%m%d}-{day}"
                await env.client.execute_workflow(
                    DailyConsolidationWorkflow.run,
                    ConsolidationInput(),
                    id=f"daily-consolidation-{stamp}-{w.suffix}",
                    task_queue=queue,
                )
                if now.day == 1:
                    await env.client.execute_workflow(
                        MonthEndWorkflow.run,
                        MonthEndInput(),
                        id=f"month-end-{stamp}-{w.suffix}",
                        task_queue=queue,
                    )
                await env.sleep(timedelta(days=1))

    orders = (await api.get("/v1/orders", params={"customer_id": who})).json()["items"]
    renewals = [o for o in orders if o["type"] == "renewal"]
    assert [(o["status"], o["items"][0]["item_id"]) for o in renewals] == [("completed", "e5")]

    # The billing day came twice in 42 days; only the first had something to consolidate.
    [consolidated] = await invoices(api, receiver_id=who, type="consolidated")
    assert consolidated["due_date"] == billing_date.isoformat()
    assert [line["order_number"] for line in consolidated["lines"]] == [renewals[0]["order_number"]]

    # The month end invoiced the initial sale (consolidation leaves it out), once.
    [periodic] = await invoices(api, receiver_id=who, type="periodic")
    assert [line["order_number"] for line in periodic["lines"]] == [number]

    subs = (await api.get("/v1/subscriptions", params={"customer_id": who})).json()["items"]
    [renewed] = [s for s in subs if s["order_number"] == number]
    assert renewed["ends_at"][:10] == add_months(ends, 12).date().isoformat()
    assert renewed["renewal_order_number"] is None
