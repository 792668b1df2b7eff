"""`order-recovery`, run by a schedule: no recorded order is left without its workflow."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.order_recovery import OrderRecoveryActivities
    from billing.contracts.order_recovery import OrderRecoveryInput, OrderRecoveryResult
    from workflows import retry_policies


@workflow.defn(name="OrderRecovery")
class OrderRecoveryWorkflow:
    @workflow.run
    async def run(self, input: OrderRecoveryInput) -> OrderRecoveryResult:
        workflow.set_current_details("Looking for waiting orders without a workflow.")
        result = await workflow.execute_activity_method(
            OrderRecoveryActivities.recover_orders,
            input,
            start_to_close_timeout=timedelta(minutes=10),
            heartbeat_timeout=timedelta(minutes=1),
            retry_policy=retry_policies.ORDER_RECOVERY,
            summary="start missing order workflows",
        )
        details = (
            f"Checked {result.checked} waiting order(s); started {len(result.restarted)}: "
            f"{', '.join(result.restarted[:20]) or 'none'}."
        )
        if result.closed_but_waiting:
            details += (
                f" **Needs an operator**: {len(result.closed_but_waiting)} order(s) wait in the "
                f"database but their workflow is closed: {', '.join(result.closed_but_waiting[:20])}."
            )
        workflow.set_current_details(details)
        return result
