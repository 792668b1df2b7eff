"""Starting pre-invoice generations by hand (API, CLI) under the readable ids the store
reserved for them."""

from __future__ import annotations

from datetime import date

from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy

from billing.contracts.pre_invoices import PreInvoiceRunInput
from workflows import search_attributes as sa
from workflows.pre_invoices import PreInvoiceRunWorkflow
from workflows.search_attributes import BillingState


async def start_pre_invoice_run(
    client: Client, run_id: str, issuer_id: str, as_of: date, *, task_queue: str
) -> None:
    """Start the generation the API reserved (its id is new: each generation has its own n)."""
    await client.start_workflow(
        PreInvoiceRunWorkflow.run,
        PreInvoiceRunInput(issuer_id=issuer_id, as_of=as_of),
        id=run_id,
        task_queue=task_queue,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(sa.BILLING_STATE, BillingState.GENERATING),
                SearchAttributePair(sa.ISSUER_ID, issuer_id),
                SearchAttributePair(sa.BILLING_PERIOD, as_of.isoformat()),
            ]
        ),
        static_summary=f"Pre-invoice generation: {issuer_id} as of {as_of}",
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
    )
