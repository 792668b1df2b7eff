"""Pre-invoice generation (delta invoicing).

`pre-invoice-run-<issuer>-<as_of>-<n>` writes, per recurring subscription of the issuer and
month that starts on or before `as_of`, the difference between what the month should cost and
what its lines bill, into pre-invoices per receiver and accounting period. The work is
set-based SQL in activities that page through receivers; the workflow only moves the cursor,
publishes its progress (search attributes, current details, the `progress` query) and
continues as new when Temporal suggests it.

`MonthEndPreInvoices`, started by the `billing-pre-invoices-month-end` schedule, starts one
generation per issuer with delta invoicing on.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from activities.pre_invoices import PreInvoiceActivities
    from billing.contracts.pre_invoices import (
        DeltaIssuersInput,
        FinishPreInvoiceRunInput,
        GeneratePagesInput,
        GeneratePagesResult,
        MonthEndPreInvoicesInput,
        PreInvoiceProgress,
        PreInvoiceRunInput,
        PreInvoiceRunResult,
        ReserveRunInput,
        StartPreInvoiceRunInput,
    )
    from workflows import retry_policies
    from workflows import search_attributes as sa
    from workflows.search_attributes import BillingState

PAGES_TIMEOUT = timedelta(minutes=30)
HEARTBEAT_TIMEOUT = timedelta(seconds=60)
SHORT_TIMEOUT = timedelta(minutes=2)
# Generation steps are a billing run's: pages of set-based SQL.
RETRY = retry_policies.BILLING_RUN


@workflow.defn(name="PreInvoiceRun")
class PreInvoiceRunWorkflow:
    @workflow.init
    def __init__(self, input: PreInvoiceRunInput) -> None:
        self._progress = PreInvoiceProgress(
            as_of=input.as_of,
            receivers_total=0,
            receivers_done=0,
            pre_invoices_created=0,
            lines_written=0,
            cursor=input.cursor,
        )

    @workflow.run
    async def run(self, input: PreInvoiceRunInput) -> PreInvoiceRunResult:
        run_id = workflow.info().workflow_id
        as_of = input.as_of.isoformat()
        if not input.started:
            self._publish(BillingState.GENERATING, input.issuer_id, as_of)
            workflow.set_current_details(
                f"Generating {input.issuer_id}'s pre-invoices as of {as_of}: assigning periods."
            )
            total = await workflow.execute_activity_method(
                PreInvoiceActivities.start_pre_invoice_run,
                StartPreInvoiceRunInput(run_id=run_id),
                start_to_close_timeout=SHORT_TIMEOUT,
                retry_policy=RETRY,
                summary=f"record {run_id} and assign waiting accounting periods",
            )
            self._progress = self._progress.model_copy(update={"receivers_total": total})
        cursor = input.cursor
        while True:
            workflow.set_current_details(
                f"Writing deltas as of {as_of}: {self._progress.receivers_done} of "
                f"{self._progress.receivers_total or '?'} receivers done in this execution, "
                f"{self._progress.lines_written} line(s) in "
                f"{self._progress.pre_invoices_created} pre-invoice(s); next receivers after "
                f"`{cursor or 'the start'}`."
            )
            done = await workflow.execute_activity_method(
                PreInvoiceActivities.generate_pre_invoice_pages,
                GeneratePagesInput(
                    run_id=run_id,
                    issuer_id=input.issuer_id,
                    as_of=input.as_of,
                    cursor=cursor,
                    page_size=input.page_size,
                    max_pages=input.pages_per_activity,
                ),
                start_to_close_timeout=PAGES_TIMEOUT,
                heartbeat_timeout=HEARTBEAT_TIMEOUT,
                retry_policy=RETRY,
                summary=f"deltas of receivers after {cursor or 'the start'}",
            )
            cursor = done.cursor
            self._add(done)
            if cursor is None:
                break
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(
                    input.model_copy(update={"cursor": cursor, "started": True})
                )
        result = await workflow.execute_activity_method(
            PreInvoiceActivities.finish_pre_invoice_run,
            FinishPreInvoiceRunInput(run_id=run_id),
            start_to_close_timeout=SHORT_TIMEOUT,
            retry_policy=RETRY,
            summary="mark the generation completed",
        )
        self._publish(BillingState.GENERATED, input.issuer_id, as_of)
        workflow.set_current_details(
            f"Done: {result.lines_written} line(s) in {result.pre_invoices_created} "
            f"pre-invoice(s) for {result.receivers_total} receiver(s)."
        )
        return result

    @workflow.query(name="progress")
    def progress(self) -> PreInvoiceProgress:
        return self._progress

    def _add(self, done: GeneratePagesResult) -> None:
        p = self._progress
        self._progress = p.model_copy(
            update={
                "cursor": done.cursor,
                "receivers_done": p.receivers_done + done.receivers_done,
                "pre_invoices_created": p.pre_invoices_created + done.pre_invoices_created,
                "lines_written": p.lines_written + done.lines_written,
            }
        )

    @staticmethod
    def _publish(state: BillingState, issuer_id: str, as_of: str) -> None:
        workflow.upsert_search_attributes(
            [
                sa.BILLING_STATE.value_set(state),
                sa.ISSUER_ID.value_set(issuer_id),
                sa.BILLING_PERIOD.value_set(as_of),
            ]
        )


@workflow.defn(name="MonthEndPreInvoices")
class MonthEndPreInvoicesWorkflow:
    """What the month-end schedule starts: one generation per issuer with delta invoicing on,
    as of the day it runs."""

    BATCH = 100

    @workflow.run
    async def run(self, input: MonthEndPreInvoicesInput) -> list[PreInvoiceRunResult]:
        as_of = input.as_of or workflow.now().date()
        results: list[PreInvoiceRunResult] = []
        after = input.after
        while True:
            issuers = await workflow.execute_activity_method(
                PreInvoiceActivities.delta_issuers,
                DeltaIssuersInput(after=after, limit=self.BATCH),
                start_to_close_timeout=SHORT_TIMEOUT,
                retry_policy=RETRY,
                summary="issuers with delta invoicing",
            )
            for issuer_id in issuers:
                workflow.set_current_details(f"Generating pre-invoices of {issuer_id}.")
                run_id = await workflow.execute_activity_method(
                    PreInvoiceActivities.reserve_pre_invoice_run,
                    ReserveRunInput(
                        issuer_id=issuer_id,
                        as_of=as_of,
                        requested_by=workflow.info().workflow_id,
                    ),
                    start_to_close_timeout=SHORT_TIMEOUT,
                    retry_policy=RETRY,
                    summary=f"reserve the generation of {issuer_id}",
                )
                try:
                    results.append(
                        await workflow.execute_child_workflow(
                            PreInvoiceRunWorkflow.run,
                            PreInvoiceRunInput(issuer_id=issuer_id, as_of=as_of),
                            id=run_id,
                            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                        )
                    )
                except WorkflowAlreadyStartedError:
                    pass  # started before this execution continued as new; it finishes alone
            if len(issuers) < self.BATCH:
                return results
            after = issuers[-1]
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(MonthEndPreInvoicesInput(as_of=as_of, after=after))
