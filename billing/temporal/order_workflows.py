"""Starting and signalling order workflows. Both are idempotent, so an API request that failed
half-way can simply be retried by the order system, and order recovery can start what is missing."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import Client
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)

from billing.contracts.order_workflow import (
    OrderWorkflowInput,
    ProvisioningBatchReported,
    ProvisioningReported,
)
from billing.contracts.orders import Order
from billing.temporal.executions import start_once
from billing.vocabulary import OrderStatus, Outcome
from workflows import search_attributes as sa
from workflows.order import (
    PROVISIONING_BATCH_REPORTED,
    PROVISIONING_REPORTED,
    OrderWorkflow,
    workflow_id,
)
from workflows.search_attributes import BillingState


def _input(order: Order, stuck_after: timedelta) -> OrderWorkflowInput:
    return OrderWorkflowInput(
        order_number=order.order_number,
        issuer_id=order.issuer_id,
        customer_id=order.customer_id,
        item_ids=[item.item_id for item in order.items],
        stuck_after=stuck_after,
        upserts_changes_only=True,
    )


async def _start(
    client: Client,
    order: Order,
    *,
    task_queue: str,
    stuck_after: timedelta,
    id_conflict_policy: WorkflowIDConflictPolicy = WorkflowIDConflictPolicy.UNSPECIFIED,
    signal: tuple[str, ProvisioningReported | ProvisioningBatchReported] | None = None,
) -> None:
    if order.status is OrderStatus.completed:
        return
    # False when it already ran to completion: every outcome had arrived.
    await start_once(
        client,
        OrderWorkflow.run,
        _input(order, stuck_after),
        id=workflow_id(order.order_number),
        task_queue=task_queue,
        # A finished order is never run again under the same number.
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        id_conflict_policy=id_conflict_policy,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(sa.ORDER_NUMBER, order.order_number),
                SearchAttributePair(sa.CUSTOMER_ID, order.customer_id),
                SearchAttributePair(sa.BILLING_STATE, BillingState.AWAITING_PROVISIONING),
                SearchAttributePair(sa.PENDING_ITEMS, len(order.pending_items)),
            ]
        ),
        static_summary=(
            f"Order {order.order_number}: {order.issuer_id} → {order.customer_id}, "
            f"{len(order.items)} item(s)"
        ),
        start_signal=signal[0] if signal is not None else None,
        start_signal_args=[signal[1]] if signal is not None else [],
        # Where the API shares its client with a worker of the task queue (one process), the
        # first workflow task comes back with the start: no poll for it. Ignored elsewhere.
        request_eager_start=signal is None,
    )


async def ensure_order_workflow(
    client: Client, order: Order, *, task_queue: str, stuck_after: timedelta
) -> None:
    await _start(
        client,
        order,
        task_queue=task_queue,
        stuck_after=stuck_after,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )


async def deliver_outcome(
    client: Client,
    order: Order,
    item_id: str,
    outcome: Outcome,
    *,
    task_queue: str,
    stuck_after: timedelta,
) -> None:
    """Signal-with-start: wakes the running workflow, or starts it if the order's submission
    recorded the order but never got as far as starting its workflow."""
    await _start(
        client,
        order,
        task_queue=task_queue,
        stuck_after=stuck_after,
        signal=(PROVISIONING_REPORTED, ProvisioningReported(item_id=item_id, outcome=outcome)),
    )


async def deliver_outcomes(
    client: Client,
    order: Order,
    outcomes: dict[str, Outcome],
    *,
    task_queue: str,
    stuck_after: timedelta,
) -> None:
    """`deliver_outcome` for a batched report: one signal(-with-start) for all its items."""
    reports = [ProvisioningReported(item_id=i, outcome=o) for i, o in outcomes.items()]
    await _start(
        client,
        order,
        task_queue=task_queue,
        stuck_after=stuck_after,
        signal=(PROVISIONING_BATCH_REPORTED, ProvisioningBatchReported(reports=reports)),
    )
