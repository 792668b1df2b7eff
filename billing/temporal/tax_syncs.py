"""Starting a summary invoice's tax sync, and retrying one that failed."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)

from billing.contracts.summary_workflow import TaxSyncInput
from billing.temporal.executions import start_once
from workflows import search_attributes as sa
from workflows.search_attributes import BillingState
from workflows.tax_sync import RETRY_SIGNAL, TaxSyncWorkflow, workflow_id


def _attributes(input: TaxSyncInput, receiver_id: str) -> TypedSearchAttributes:
    return TypedSearchAttributes(
        [
            SearchAttributePair(sa.INVOICE_CODE, input.invoice_code),
            SearchAttributePair(sa.CUSTOMER_ID, receiver_id),
            SearchAttributePair(sa.BILLING_STATE, BillingState.TAX_NEW),
        ]
    )


def _summary(input: TaxSyncInput, receiver_id: str) -> str:
    return f"Tax sync of summary invoice {input.invoice_code} for {receiver_id}"


async def start_tax_sync(
    client: Client, input: TaxSyncInput, *, receiver_id: str, task_queue: str
) -> None:
    """Start a summary invoice's tax sync once; a second start (an activity retried) is a no-op."""
    await start_once(
        client,
        TaxSyncWorkflow.run,
        input,
        id=workflow_id(input.summary_invoice_id),
        task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        search_attributes=_attributes(input, receiver_id),
        static_summary=_summary(input, receiver_id),
    )


async def retry_tax_sync(
    client: Client, input: TaxSyncInput, *, receiver_id: str, task_queue: str
) -> None:
    """Signal-with-start `retry`: wakes the workflow waiting in TaxFailed, or starts a new run
    if that workflow is gone (the database says TaxFailed, which is what counts)."""
    await client.start_workflow(
        TaxSyncWorkflow.run,
        input,
        id=workflow_id(input.summary_invoice_id),
        task_queue=task_queue,
        start_signal=RETRY_SIGNAL,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        search_attributes=_attributes(input, receiver_id),
        static_summary=_summary(input, receiver_id),
    )
