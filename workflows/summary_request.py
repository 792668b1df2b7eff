"""One workflow per summary-invoice request: consolidate the accepted invoices into one summary
invoice per receiver (one activity, one database transaction), then start each summary's tax
sync.

Workflow id `summary-request-<request id>`. The request and its invoices are in PostgreSQL; the
workflow carries only the id, so a request of 10,000 invoices costs a few history events.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.summary_invoices import SummaryActivities
    from billing.contracts.summary_workflow import (
        ConsolidateRequestInput,
        ConsolidationResult,
        SummaryRequestInput,
        SummaryRequestProgress,
        TaxSyncStart,
    )
    from billing.summary_invoices import COMPLETE_MESSAGE, IN_PROGRESS_MESSAGE
    from billing.vocabulary import SummaryRequestStatus
    from workflows import retry_policies
    from workflows import search_attributes as sa
    from workflows.search_attributes import BillingState


def workflow_id(request_id: str) -> str:
    return f"summary-request-{request_id}"


@workflow.defn(name="SummaryRequest")
class SummaryRequestWorkflow:
    @workflow.init
    def __init__(self, input: SummaryRequestInput) -> None:
        self._input = input
        self._status = SummaryRequestStatus.in_progress
        self._summary_ids: list[str] = []

    @workflow.run
    async def run(self, input: SummaryRequestInput) -> ConsolidationResult:
        workflow.set_current_details(
            f"{IN_PROGRESS_MESSAGE} Consolidating {input.invoices_added} invoice(s) of "
            f"{input.issuer_id}."
        )
        result = await workflow.execute_activity_method(
            SummaryActivities.consolidate_summary_request,
            ConsolidateRequestInput(request_id=input.request_id),
            # Set-based SQL: 10,000 invoices take seconds, not minutes.
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=retry_policies.DATABASE,
            summary=f"consolidate {input.invoices_added} invoice(s)",
        )
        self._summary_ids = result.summary_invoice_ids
        self._status = SummaryRequestStatus.complete
        workflow.upsert_search_attributes(
            [sa.BILLING_STATE.value_set(BillingState.INVOICES_CREATED)]
        )
        workflow.set_current_details(
            f"{COMPLETE_MESSAGE} Created {len(result.invoice_codes)} summary invoice(s) from "
            f"{result.lines_consolidated} line(s); starting their tax sync."
        )
        if result.summary_invoice_ids:
            await workflow.execute_activity_method(
                SummaryActivities.start_tax_syncs,
                TaxSyncStart(request_id=input.request_id, tax=input.tax),
                start_to_close_timeout=timedelta(minutes=5),
                retry_policy=retry_policies.DATABASE,
                summary=f"start {len(result.summary_invoice_ids)} tax sync(s)",
            )
        workflow.set_current_details(
            f"{COMPLETE_MESSAGE} Summary invoices: {', '.join(result.invoice_codes) or 'none'}."
            if len(result.invoice_codes) <= 20
            else f"{COMPLETE_MESSAGE} {len(result.invoice_codes)} summary invoices."
        )
        return result

    @workflow.query(name="progress")
    def progress(self) -> SummaryRequestProgress:
        return SummaryRequestProgress(
            request_id=self._input.request_id,
            status=self._status,
            message=COMPLETE_MESSAGE
            if self._status is SummaryRequestStatus.complete
            else IN_PROGRESS_MESSAGE,
            summary_invoice_ids=self._summary_ids,
        )
