"""Recording scenarios for the pre-invoice generation workflows' committed histories. Pages of
one receiver and one page per activity, so the history holds the paging loop."""

from __future__ import annotations

from datetime import date

from billing.contracts.pre_invoices import MonthEndPreInvoicesInput, PreInvoiceRunInput
from billing.store.pre_invoice_runs import reserve_run
from tests.delta import delta_world, months, subscription
from tests.histories.record import TASK_QUEUE, Recorder
from workflows.pre_invoices import MonthEndPreInvoicesWorkflow, PreInvoiceRunWorkflow

JAN = date(2026, 1, 1)


async def pre_invoice_run(r: Recorder) -> None:
    w = await delta_world(r.api, months=months(JAN, 2))
    await subscription(r.api, r.client, w, "S1", starts="2026-01-01T00:00:00Z", quantity=2)
    await subscription(
        r.api, r.client, w, "S2", starts="2026-01-15T00:00:00Z", customer=w.customer_b
    )
    as_of = date(2026, 2, 28)
    with r.engine.begin() as conn:
        run_id = reserve_run(conn, w.issuer, as_of)
    with r.env.auto_time_skipping_disabled():
        await r.client.start_workflow(
            PreInvoiceRunWorkflow.run,
            PreInvoiceRunInput(issuer_id=w.issuer, as_of=as_of, page_size=1, pages_per_activity=1),
            id=run_id,
            task_queue=TASK_QUEUE,
        )
        await r.save("pre_invoice_run", run_id)


async def month_end_pre_invoices(r: Recorder) -> None:
    w = await delta_world(r.api, months=[JAN])
    await subscription(r.api, r.client, w, "S1", starts="2026-01-01T00:00:00Z")
    with r.env.auto_time_skipping_disabled():
        await r.client.start_workflow(
            MonthEndPreInvoicesWorkflow.run,
            MonthEndPreInvoicesInput(as_of=date(2026, 1, 31)),
            id="month-end-pre-invoices-recorded",
            task_queue=TASK_QUEUE,
        )
        await r.save("month_end_pre_invoices", "month-end-pre-invoices-recorded")


SCENARIOS = {
    "pre_invoice_run": pre_invoice_run,
    "month_end_pre_invoices": month_end_pre_invoices,
}
