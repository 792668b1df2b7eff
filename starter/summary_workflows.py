"""Starting and signalling the summary-request and tax-sync workflows."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)

from billing.contracts.summary_invoices import SummaryRequestAccepted
from billing.contracts.summary_workflow import SummaryRequestInput, TaxSyncInput, TaxSyncOptions
from billing.vocabulary import SummaryInvoiceState
from starter.temporal import start_once
from workflows import search_attributes as sa
from workflows.summary_request import RequestState, SummaryRequestWorkflow
from workflows.summary_request import workflow_id as request_workflow_id
from workflows.tax_sync import TaxSyncWorkflow
from workflows.tax_sync import workflow_id as tax_workflow_id


async def start_summary_request(
    client: Client,
    accepted: SummaryRequestAccepted,
    issuer_id: str,
    *,
    task_queue: str,
    tax: TaxSyncOptions,
) -> None:
    # Nothing to do when the request's workflow already started (or finished) under its id.
    await start_once(
        client,
        SummaryRequestWorkflow.run,
        SummaryRequestInput(
            request_id=accepted.request_id,
            issuer_id=issuer_id,
            invoices_added=accepted.invoices_added,
            tax=tax,
        ),
        id=request_workflow_id(accepted.request_id),
        task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(sa.ISSUER_ID, issuer_id),
                SearchAttributePair(sa.BILLING_STATE, RequestState.CREATING),
            ]
        ),
        static_summary=(
            f"Summary invoices of {issuer_id}: {accepted.invoices_added} invoice(s) selected"
        ),
    )


def _tax_sync_options(
    summary_invoice_id: str, invoice_code: str, receiver_id: str, task_queue: str
) -> dict:
    return {
        "id": tax_workflow_id(summary_invoice_id),
        "task_queue": task_queue,
        "search_attributes": TypedSearchAttributes(
            [
                SearchAttributePair(sa.INVOICE_CODE, invoice_code),
                SearchAttributePair(sa.CUSTOMER_ID, receiver_id),
                SearchAttributePair(sa.BILLING_STATE, SummaryInvoiceState.new.value),
            ]
        ),
        "static_summary": f"Tax sync of summary invoice {invoice_code} for {receiver_id}",
    }


async def start_tax_sync(
    client: Client, input: TaxSyncInput, *, receiver_id: str, task_queue: str
) -> None:
    """Start a summary invoice's tax sync once; a second start (an activity retried) is a no-op."""
    await start_once(
        client,
        TaxSyncWorkflow.run,
        input,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        **_tax_sync_options(input.summary_invoice_id, input.invoice_code, receiver_id, task_queue),
    )


async def retry_tax_sync(
    client: Client, input: TaxSyncInput, *, receiver_id: str, task_queue: str
) -> None:
    """Signal-with-start `retry`: wakes the workflow waiting in TaxFailed, or starts a new run
    if that workflow is gone (the database says TaxFailed, which is what counts)."""
    await client.start_workflow(
        TaxSyncWorkflow.run,
        input,
        start_signal="retry",
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        **_tax_sync_options(input.summary_invoice_id, input.invoice_code, receiver_id, task_queue),
    )
