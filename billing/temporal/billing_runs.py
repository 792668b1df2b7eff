"""Starting month-end and consolidation runs by hand (API, CLI) under their readable ids.
Starting one that is running returns it; one that finished runs again and, the schema being
what it is, invoices only what is new."""

from __future__ import annotations

from datetime import date

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)

from billing.contracts.billing_runs import BillingRunInput, ConsolidationInput
from billing.temporal.executions import describe_or_none
from billing.vocabulary import RunStatus
from workflows import search_attributes as sa
from workflows.billing_runs import (
    BillingRunWorkflow,
    ConsolidationWorkflow,
    billing_run_id,
    consolidation_run_id,
)
from workflows.search_attributes import BillingState

# A finished run may run again (it invoices only what is new); one still going is reused.
REUSE = WorkflowIDReusePolicy.ALLOW_DUPLICATE
CONFLICT = WorkflowIDConflictPolicy.USE_EXISTING


def _attributes(period: str, issuer_id: str | None = None) -> TypedSearchAttributes:
    pairs: list[SearchAttributePair[str]] = [
        SearchAttributePair(sa.BILLING_STATE, BillingState.RUN_RUNNING),
        SearchAttributePair(sa.BILLING_PERIOD, period),
    ]
    if issuer_id is not None:
        pairs.append(SearchAttributePair(sa.ISSUER_ID, issuer_id))
    return TypedSearchAttributes(pairs)


async def start_billing_run(client: Client, issuer_id: str, period: str, *, task_queue: str) -> str:
    run_id = billing_run_id(issuer_id, period)
    await client.start_workflow(
        BillingRunWorkflow.run,
        BillingRunInput(issuer_id=issuer_id, period=period),
        id=run_id,
        task_queue=task_queue,
        search_attributes=_attributes(period, issuer_id),
        static_summary=f"Month-end run: {issuer_id}, {period}",
        id_reuse_policy=REUSE,
        id_conflict_policy=CONFLICT,
    )
    return run_id


async def start_consolidation_run(client: Client, as_of: date, *, task_queue: str) -> str:
    run_id = consolidation_run_id(as_of.isoformat())
    await client.start_workflow(
        ConsolidationWorkflow.run,
        ConsolidationInput(as_of=as_of),
        id=run_id,
        task_queue=task_queue,
        search_attributes=_attributes(as_of.isoformat()),
        static_summary=f"Renewal orders and billing-day consolidation as of {as_of}",
        id_reuse_policy=REUSE,
        id_conflict_policy=CONFLICT,
    )
    return run_id


async def temporal_status(client: Client, run_id: str) -> RunStatus | None:
    """The run's status as Temporal sees it, None when Temporal does not know the run. Only
    Temporal can tell that a run ended without completing: nothing is left to record it."""
    described = await describe_or_none(client, run_id)
    if described is None:
        return None
    if described.status in (
        WorkflowExecutionStatus.RUNNING,
        WorkflowExecutionStatus.CONTINUED_AS_NEW,
    ):
        return RunStatus.running
    if described.status == WorkflowExecutionStatus.COMPLETED:
        return RunStatus.completed
    return RunStatus.failed
