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
        first_run_at_first_outcome=True,
        shows_billing_once_retried=True,
    )


async def _start(
    client: Client,
    order: Order,
    *,
    task_queue: str,
    stuck_after: timedelta,
    id_conflict_policy: WorkflowIDConflictPolicy = WorkflowIDConflictPolicy.UNSPECIFIED,
    signal: tuple[str, ProvisioningReported | ProvisioningBatchReported] | None = None,
    until_first_outcome: bool = False,
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
        static_details=_WAITS_FOR_FIRST_OUTCOME.format(stuck_after=stuck_after)
        if until_first_outcome
        else None,
        # Until its first outcome arrives an order's workflow has nothing to do, so it does not
        # run: the report's signal-with-start ends the delay, and the workflow task that takes
        # the report is its first. An order whose outcomes come in one report is then one
        # workflow task in all. With no outcome at all, the delay ends when the order is stuck.
        start_delay=stuck_after if until_first_outcome else None,
        start_signal=signal[0] if signal is not None else None,
        start_signal_args=[signal[1]] if signal is not None else [],
    )


_WAITS_FOR_FIRST_OUTCOME = (
    "This order's workflow first runs when the first provisioning outcome is reported, or "
    "after {stuck_after} without one, to flag the order stuck. Until then the search "
    "attributes BillingState and PendingItems say where the order stands, and it answers no "
    "queries."
)


async def ensure_order_workflow(
    client: Client,
    order: Order,
    *,
    task_queue: str,
    stuck_after: timedelta,
    until_first_outcome: bool = False,
) -> None:
    """Start the order's workflow unless it runs already. A newly submitted order's workflow
    (`until_first_outcome`) first runs when an outcome arrives; one that order recovery starts,
    for an order that may have every outcome recorded, runs at once."""
    await _start(
        client,
        order,
        task_queue=task_queue,
        stuck_after=stuck_after,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        until_first_outcome=until_first_outcome,
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
