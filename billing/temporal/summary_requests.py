"""Starting a summary-invoice request's workflow."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)

from billing.contracts.summary_invoices import SummaryRequestAccepted
from billing.contracts.summary_workflow import SummaryRequestInput, TaxSyncOptions
from billing.temporal.executions import start_once
from workflows import search_attributes as sa
from workflows.search_attributes import BillingState
from workflows.summary_request import SummaryRequestWorkflow, workflow_id


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
        id=workflow_id(accepted.request_id),
        task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(sa.ISSUER_ID, issuer_id),
                SearchAttributePair(sa.BILLING_STATE, BillingState.CREATING_INVOICES),
            ]
        ),
        static_summary=(
            f"Summary invoices of {issuer_id}: {accepted.invoices_added} invoice(s) selected"
        ),
    )
