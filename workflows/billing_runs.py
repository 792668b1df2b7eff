"""Month-end billing runs and billing-day consolidation runs.

`billing-run-<issuer>-<period>` invoices every uninvoiced monthly line of an issuer's period;
`consolidation-<as_of>` makes the renewal orders due and the consolidated invoices of the
customers whose billing day comes M days later. The work is set-based SQL in activities that
page through customers; the workflow only moves the cursor from one activity to the next, so
its history stays a few events per hundreds of customers and it continues as new when Temporal
suggests it. The schedules (billing.temporal.schedules) start `MonthEnd` and
`DailyConsolidation`, which start these runs under their readable ids.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from activities.billing_runs import BillingRunActivities
    from billing.contracts.billing_runs import (
        BillingRunInput,
        ConsolidationInput,
        FinishRunInput,
        IssuersInput,
        MonthEndInput,
        PagesInput,
        PagesResult,
        RunResult,
        RunStartInput,
    )
    from billing.periods import Period
    from billing.vocabulary import RunKind
    from workflows import retry_policies
    from workflows import search_attributes as sa
    from workflows.search_attributes import BillingState

PAGES_TIMEOUT = timedelta(minutes=30)
HEARTBEAT_TIMEOUT = timedelta(seconds=60)
SHORT_TIMEOUT = timedelta(minutes=2)

# One step of a run: an activity that works through pages of customers.
PagesStep = Callable[[BillingRunActivities, PagesInput], PagesResult]
ChildInput = TypeVar("ChildInput")


def billing_run_id(issuer_id: str, period: str) -> str:
    return f"billing-run-{issuer_id}-{period}"


def consolidation_run_id(as_of: str) -> str:
    return f"consolidation-{as_of}"


async def _pages(step: PagesStep, pages: PagesInput, summary: str) -> PagesResult:
    return await workflow.execute_activity_method(
        step,
        pages,
        start_to_close_timeout=PAGES_TIMEOUT,
        heartbeat_timeout=HEARTBEAT_TIMEOUT,
        retry_policy=retry_policies.BILLING_RUN,
        summary=summary,
    )


async def _start(run: RunStartInput) -> None:
    await workflow.execute_activity_method(
        BillingRunActivities.start_billing_run,
        run,
        start_to_close_timeout=SHORT_TIMEOUT,
        retry_policy=retry_policies.BILLING_RUN,
        summary=f"record run {run.run_id}",
    )


async def _finish(run_id: str) -> RunResult:
    return await workflow.execute_activity_method(
        BillingRunActivities.finish_billing_run,
        FinishRunInput(run_id=run_id),
        start_to_close_timeout=SHORT_TIMEOUT,
        retry_policy=retry_policies.BILLING_RUN,
        summary="mark the run completed",
    )


def _publish(
    state: BillingState, details: str, *, issuer_id: str | None = None, period: str
) -> None:
    """Keep the Temporal UI truthful: find runs by issuer, period and state."""
    updates = [sa.BILLING_STATE.value_set(state), sa.BILLING_PERIOD.value_set(period)]
    if issuer_id is not None:
        updates.append(sa.ISSUER_ID.value_set(issuer_id))
    workflow.upsert_search_attributes(updates)
    workflow.set_current_details(details)


@workflow.defn(name="BillingRun")
class BillingRunWorkflow:
    @workflow.init
    def __init__(self, input: BillingRunInput) -> None:
        self._progress = PagesResult(cursor=input.cursor)

    @workflow.run
    async def run(self, input: BillingRunInput) -> RunResult:
        info = workflow.info()
        run_id = info.workflow_id
        if not input.started:
            _publish(
                BillingState.RUN_RUNNING,
                f"Invoicing {input.issuer_id}'s period {input.period}.",
                issuer_id=input.issuer_id,
                period=input.period,
            )
            await _start(
                RunStartInput(
                    run_id=run_id,
                    execution_id=info.first_execution_run_id,
                    kind=RunKind.month_end,
                    issuer_id=input.issuer_id,
                    period=input.period,
                )
            )
        cursor = input.cursor
        while True:
            done = await _pages(
                BillingRunActivities.invoice_period_pages,
                PagesInput(
                    run_id=run_id,
                    issuer_id=input.issuer_id,
                    period=input.period,
                    cursor=cursor,
                    page_size=input.page_size,
                    max_pages=input.pages_per_activity,
                ),
                summary=f"invoice customers after {cursor or 'the start'}",
            )
            cursor = done.cursor
            self._add(done)
            if cursor is None:
                break
            workflow.set_current_details(
                f"Invoiced {self._progress.invoices_created} invoice(s) so far in this "
                f"execution; next customers after `{cursor}`."
            )
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(
                    input.model_copy(update={"cursor": cursor, "started": True})
                )
        result = await _finish(run_id)
        _publish(
            BillingState.RUN_COMPLETED,
            f"Done: {result.invoices_created} invoice(s), {result.lines_invoiced} line(s).",
            issuer_id=input.issuer_id,
            period=input.period,
        )
        return result

    @workflow.query(name="progress")
    def progress(self) -> PagesResult:
        return self._progress

    def _add(self, done: PagesResult) -> None:
        p = self._progress
        self._progress = PagesResult(
            cursor=done.cursor,
            invoices_created=p.invoices_created + done.invoices_created,
            lines_invoiced=p.lines_invoiced + done.lines_invoiced,
            customers_done=p.customers_done + done.customers_done,
        )


@workflow.defn(name="Consolidation")
class ConsolidationWorkflow:
    """Renewal orders due by `as_of` first (so they can be consolidated), then the consolidated
    invoices of the customers whose billing day is M days after `as_of`."""

    @workflow.run
    async def run(self, input: ConsolidationInput) -> RunResult:
        info = workflow.info()
        run_id = info.workflow_id
        as_of = (input.as_of or workflow.now().date()).isoformat()
        if not input.started:
            _publish(
                BillingState.RUN_RUNNING,
                f"Renewal orders and consolidation as of {as_of}.",
                period=as_of,
            )
            await _start(
                RunStartInput(
                    run_id=run_id,
                    execution_id=info.first_execution_run_id,
                    kind=RunKind.consolidation,
                    issuer_id=None,
                    period=as_of,
                )
            )
        input = input.model_copy(update={"as_of": input.as_of or workflow.now().date()})
        cursor = input.cursor
        renewals_done = input.renewals_done
        while True:
            step: PagesStep = (
                BillingRunActivities.consolidate_pages
                if renewals_done
                else BillingRunActivities.generate_renewal_orders
            )
            what = "consolidate pages" if renewals_done else "generate renewal orders"
            done = await _pages(
                step,
                PagesInput(
                    run_id=run_id,
                    period=as_of,
                    cursor=cursor,
                    page_size=input.page_size,
                    max_pages=input.pages_per_activity,
                ),
                summary=f"{what} after {cursor or 'the start'}",
            )
            cursor = done.cursor
            if cursor is None:
                if renewals_done:
                    break
                renewals_done = True
                workflow.set_current_details(f"Renewal orders made; consolidating as of {as_of}.")
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(
                    input.model_copy(
                        update={"cursor": cursor, "renewals_done": renewals_done, "started": True}
                    )
                )
        result = await _finish(run_id)
        _publish(
            BillingState.RUN_COMPLETED,
            f"Done: {result.renewal_orders_created} renewal order(s), "
            f"{result.invoices_created} consolidated invoice(s).",
            period=as_of,
        )
        return result


@workflow.defn(name="MonthEnd")
class MonthEndWorkflow:
    """What the month-end schedule starts: one `billing-run-<issuer>-<period>` per issuer with
    uninvoiced monthly lines, for the month that just ended."""

    BATCH = 100

    @workflow.run
    async def run(self, input: MonthEndInput) -> list[RunResult]:
        period = input.period or str(Period.before(workflow.now().date()))
        results: list[RunResult] = []
        after = input.after
        while True:
            issuers = await workflow.execute_activity_method(
                BillingRunActivities.issuers_to_bill,
                IssuersInput(period=period, after=after, limit=self.BATCH),
                start_to_close_timeout=SHORT_TIMEOUT,
                retry_policy=retry_policies.BILLING_RUN,
                summary=f"issuers to bill for {period}",
            )
            for issuer_id in issuers:
                result = await _run_child(
                    BillingRunWorkflow.run,
                    BillingRunInput(issuer_id=issuer_id, period=period),
                    billing_run_id(issuer_id, period),
                )
                if result is not None:
                    results.append(result)
            if len(issuers) < self.BATCH:
                return results
            after = issuers[-1]
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(MonthEndInput(period=period, after=after))


@workflow.defn(name="DailyConsolidation")
class DailyConsolidationWorkflow:
    """What the daily schedule starts: today's `consolidation-<date>` run."""

    @workflow.run
    async def run(self, input: ConsolidationInput) -> RunResult | None:
        as_of = input.as_of or workflow.now().date()
        return await _run_child(
            ConsolidationWorkflow.run,
            input.model_copy(update={"as_of": as_of}),
            consolidation_run_id(as_of.isoformat()),
        )


async def _run_child(
    run: Callable[[Any, ChildInput], Awaitable[RunResult]], arg: ChildInput, workflow_id: str
) -> RunResult | None:
    """Run a child under its readable id. A run already going under that id (started by hand)
    is left to finish on its own."""
    try:
        return await workflow.execute_child_workflow(
            run,
            arg,
            id=workflow_id,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        return None
