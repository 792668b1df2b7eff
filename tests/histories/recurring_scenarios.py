"""Recording scenarios for the month-end and consolidation workflows' committed histories.
Pages of one customer and one page per activity, so the histories hold the paging loop."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from billing.contracts.billing_runs import BillingRunInput, ConsolidationInput, MonthEndInput
from billing.subscriptions import add_months
from tests.histories.record import TASK_QUEUE, Recorder
from tests.recurring import customer, provisioned_order, recurring_world, this_period
from workflows.billing_runs import (
    BillingRunWorkflow,
    ConsolidationWorkflow,
    DailyConsolidationWorkflow,
    MonthEndWorkflow,
    billing_run_id,
    consolidation_run_id,
)

AS_OF = date(2025, 3, 10)


async def _customers_with_lines(r: Recorder, settings: dict | None = None) -> str:
    w = await recurring_world(r.api, settings=settings)
    for name in ("A", "B", "C"):
        who = await customer(r.api, w, name, billing_day=(AS_OF + timedelta(days=5)).day)
        ends = datetime.combine(AS_OF + timedelta(days=20), datetime.min.time(), tzinfo=UTC)
        await provisioned_order(
            r.api,
            r.client,
            w.id(f"O{name}"),
            w.issuer,
            who,
            [
                {"item_id": "e5", "offer_id": w.e5, "quantity": 1, "invoice_group_number": "PO 1"},
                {"item_id": "acro", "offer_id": w.acrobat, "quantity": 2},
            ],
            provisioned_at=add_months(ends, -12).isoformat(),
        )
    return w.issuer


async def billing_run(r: Recorder) -> None:
    issuer = await _customers_with_lines(r)
    run_id = billing_run_id(issuer, this_period())
    with r.env.auto_time_skipping_disabled():
        await r.client.start_workflow(
            BillingRunWorkflow.run,
            BillingRunInput(
                issuer_id=issuer, period=this_period(), page_size=1, pages_per_activity=1
            ),
            id=run_id,
            task_queue=TASK_QUEUE,
        )
        await r.save("billing_run", run_id)


async def consolidation_run(r: Recorder) -> None:
    await _customers_with_lines(
        r, settings={"consolidation": {"enabled": True, "days_before_billing_day": 5}}
    )
    run_id = consolidation_run_id(AS_OF.isoformat())
    with r.env.auto_time_skipping_disabled():
        await r.client.start_workflow(
            ConsolidationWorkflow.run,
            ConsolidationInput(as_of=AS_OF, page_size=1, pages_per_activity=1),
            id=run_id,
            task_queue=TASK_QUEUE,
        )
        await r.save("consolidation_run", run_id)


async def month_end(r: Recorder) -> None:
    await _customers_with_lines(r)
    with r.env.auto_time_skipping_disabled():
        await r.client.start_workflow(
            MonthEndWorkflow.run,
            MonthEndInput(period=this_period()),
            id="month-end-recorded",
            task_queue=TASK_QUEUE,
        )
        await r.save("month_end", "month-end-recorded")


async def daily_consolidation(r: Recorder) -> None:
    with r.env.auto_time_skipping_disabled():
        await r.client.start_workflow(
            DailyConsolidationWorkflow.run,
            ConsolidationInput(as_of=AS_OF + timedelta(days=1)),
            id="daily-consolidation-recorded",
            task_queue=TASK_QUEUE,
        )
        await r.save("daily_consolidation", "daily-consolidation-recorded")


SCENARIOS = {
    "billing_run": billing_run,
    "consolidation_run": consolidation_run,
    "month_end": month_end,
    "daily_consolidation": daily_consolidation,
}
