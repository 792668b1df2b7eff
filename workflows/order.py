"""One durable workflow per order: wait for every item's provisioning outcome, then bill it.

Workflow id `order-<order_number>`. The API records each outcome in PostgreSQL first and then
signals here; the signal only wakes the workflow, and the billing activity reads the outcomes
from the database, so a duplicated signal changes nothing and a lost one is caught up when the
order is found stuck. A submitted order's workflow is started with a delay that the first report
(a signal-with-start) ends: it first runs when there is an outcome to take, and an order whose
outcomes come in one report is billed in its first workflow task.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.orders import OrderActivities
    from billing.contracts.order_workflow import (
        BillOrderInput,
        MarkOrderStuckInput,
        OrderBillingResult,
        OrderProgress,
        OrderWorkflowInput,
        ProvisioningBatchReported,
        ProvisioningReported,
    )
    from billing.vocabulary import Outcome
    from workflows import retry_policies
    from workflows import search_attributes as sa
    from workflows.search_attributes import BillingState

ACTIVITY_TIMEOUT = timedelta(seconds=30)
# Named once: signal-with-start takes the signal by name.
PROVISIONING_REPORTED = "provisioning_reported"
PROVISIONING_BATCH_REPORTED = "provisioning_batch_reported"
BILLING = "All outcomes are in; billing the order."
# Orders that reached billing's retry before this patch retry it as a local activity.
BILLING_RETRIED_ON_TASK_QUEUE = "billing-retried-on-task-queue"


def workflow_id(order_number: str) -> str:
    return f"order-{order_number}"


@workflow.defn(name="Order")
class OrderWorkflow:
    @workflow.init
    def __init__(self, input: OrderWorkflowInput) -> None:
        self._input = input
        self._outcomes: dict[str, Outcome] = dict(input.outcomes)
        self._stuck = input.stuck
        self._state = BillingState.STUCK if input.stuck else BillingState.AWAITING_PROVISIONING
        self._result: OrderBillingResult | None = None

    @workflow.run
    async def run(self, input: OrderWorkflowInput) -> OrderBillingResult:
        if self._pending() or not input.first_run_at_first_outcome:
            self._publish()
        while self._pending():
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    input.model_copy(update={"outcomes": self._outcomes, "stuck": self._stuck})
                )
            wait = self._until_stuck()
            if wait <= timedelta(0):
                await self._on_stuck()
                continue
            try:
                await workflow.wait_condition(
                    lambda: not self._pending(),
                    timeout=wait,
                    timeout_summary="stuck threshold",
                )
            except TimeoutError:
                await self._on_stuck()

        self._state = BillingState.BILLING
        if input.shows_billing_once_retried:
            # Billing that succeeds at once reaches the server in the same workflow task as the
            # Invoiced state, so a Billing upsert before it would be overwritten unseen: a
            # history event and a visibility write for nothing. Billing is shown once the first
            # attempt has failed, when billing may take a while.
            workflow.set_current_details(BILLING)
            try:
                result = await self._bill(retry_policies.SINGLE_ATTEMPT)
            except (ApplicationError, ActivityError):
                # A local activity's own error arrives as itself, a timeout as an ActivityError.
                self._publish(details=BILLING)
                if workflow.patched(BILLING_RETRIED_ON_TASK_QUEUE):
                    result = await self._bill_retried()
                else:
                    result = await self._bill(retry_policies.DATABASE)
        else:
            self._publish(details=BILLING)
            result = await self._bill(retry_policies.DATABASE)
        self._result = result
        self._state = (
            BillingState.INVOICED if result.invoice_id else BillingState.NOTHING_TO_INVOICE
        )
        self._publish(details=self._billed_details(result))
        return result

    async def _bill(self, retry_policy: RetryPolicy) -> OrderBillingResult:
        # A local activity: one short transaction, run by the worker that holds the workflow,
        # saves the round trips of a task-queue activity on the path from last report to invoice.
        return await workflow.execute_local_activity_method(
            OrderActivities.bill_order,
            BillOrderInput(order_number=self._input.order_number),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=retry_policy,
            summary=f"bill order {self._input.order_number}",
        )

    async def _bill_retried(self) -> OrderBillingResult:
        # Retried as a task-queue activity: scheduling it ends the workflow task, so the Billing
        # state reaches the Temporal UI at once, and each attempt and its failure show there as
        # the order's pending activity. Retries of a local activity hold the workflow task open
        # and show nothing until its heartbeat, seconds later.
        return await workflow.execute_activity_method(
            OrderActivities.bill_order,
            BillOrderInput(order_number=self._input.order_number),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=retry_policies.DATABASE,
            summary=f"bill order {self._input.order_number} (retried)",
        )

    @workflow.signal(name=PROVISIONING_REPORTED)
    def provisioning_reported(self, report: ProvisioningReported) -> None:
        if self._keep(report):
            self._publish_waiting()

    @workflow.signal(name=PROVISIONING_BATCH_REPORTED)
    def provisioning_batch_reported(self, batch: ProvisioningBatchReported) -> None:
        # One signal, one workflow task and one search-attribute update for a batched report.
        if [report for report in batch.reports if self._keep(report)]:
            self._publish_waiting()

    def _publish_waiting(self) -> None:
        # The report that completes the order is published by the run, which starts billing in
        # this same workflow task: one update saying Billing instead of two.
        if self._pending() or not self._input.upserts_changes_only:
            self._publish()

    def _keep(self, report: ProvisioningReported) -> bool:
        # Signals are delivered at least once, and outcomes are final: keep the first.
        if report.item_id in self._input.item_ids and report.item_id not in self._outcomes:
            self._outcomes[report.item_id] = report.outcome
            return True
        return False

    @workflow.query(name="progress")
    def progress(self) -> OrderProgress:
        return OrderProgress(
            order_number=self._input.order_number,
            billing_state=self._state,
            pending_items=self._pending(),
            outcomes=self._outcomes,
            stuck=self._stuck,
            invoice_id=self._result.invoice_id if self._result else None,
        )

    def _until_stuck(self) -> timedelta:
        """An order is stuck once it has waited `stuck_after` since it was submitted, which is
        when its workflow started (possibly with a delay, so its first run can be much later);
        a stuck order is looked at again every `stuck_after`."""
        if self._stuck:
            return self._input.stuck_after
        waited = workflow.now() - workflow.info().workflow_start_time
        return max(timedelta(0), self._input.stuck_after - waited)

    def _pending(self) -> list[str]:
        return [item for item in self._input.item_ids if item not in self._outcomes]

    async def _on_stuck(self) -> None:
        recorded = await workflow.execute_activity_method(
            OrderActivities.mark_order_stuck,
            MarkOrderStuckInput(order_number=self._input.order_number),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=retry_policies.DATABASE,
            summary="mark stuck and re-read outcomes",
        )
        for item_id, outcome in recorded.items():
            self._outcomes.setdefault(item_id, outcome)
        if self._pending():
            self._stuck = True
            self._state = BillingState.STUCK
        self._publish()

    def _publish(self, details: str | None = None) -> None:
        """Keep the Temporal UI truthful: search attributes to find the order, current details
        to say what it waits for."""
        pending = self._pending()
        updates: list[SearchAttributeUpdate[Any]] = [
            sa.BILLING_STATE.value_set(self._state),
            sa.PENDING_ITEMS.value_set(len(pending)),
        ]
        if self._input.upserts_changes_only:
            # Each update is a history event and a visibility write on the server: send only
            # what differs from what the order shows now (its start request's or last update's).
            shown = workflow.info().typed_search_attributes
            updates = [u for u in updates if shown.get(u.key) != u.value]
        if updates:
            workflow.upsert_search_attributes(updates)
        if details is None:
            waiting = ", ".join(f"`{item}`" for item in pending) or "nothing"
            details = f"Waiting for provisioning outcomes of {len(pending)} item(s): {waiting}."
            if self._stuck:
                details = (
                    f"**Stuck**: no outcome after {self._input.stuck_after}. {details} "
                    "Record an outcome by hand with `billing orders record-outcome`."
                )
        workflow.set_current_details(details)

    @staticmethod
    def _billed_details(result: OrderBillingResult) -> str:
        if result.invoice_id:
            head = f"Invoiced: {result.invoice_number} ({len(result.per_order_items)} line(s))."
        else:
            head = "Nothing invoiced per order."
        return (
            f"{head} Monthly billing lines: {len(result.monthly_items)}. "
            f"Failed items (not billed): {len(result.failed_items)}."
        )
