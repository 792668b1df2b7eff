"""`order-recovery`, run by a schedule: no recorded order is left without its workflow.

The sweep goes through the waiting orders in steps (activities with a time budget each), so
its length grows with the number of waiting orders but no activity's does; its details and its
`progress` query say how far it has come."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.order_recovery import OrderRecoveryActivities
    from billing.contracts.order_recovery import (
        OrderRecoveryInput,
        OrderRecoveryResult,
        OrderRecoveryStep,
    )
    from workflows import retry_policies

# Sweeps started before there were steps ran as one activity; their histories replay that way.
IN_STEPS = "order-recovery-in-steps"
STEP_TIMEOUT = timedelta(minutes=10)
HEARTBEAT_TIMEOUT = timedelta(minutes=1)
Arg = TypeVar("Arg")


async def _recovery_activity(
    activity: Callable[[OrderRecoveryActivities, Arg], Awaitable[OrderRecoveryResult]],
    arg: Arg,
    summary: str,
) -> OrderRecoveryResult:
    return await workflow.execute_activity_method(
        activity,
        arg,
        start_to_close_timeout=STEP_TIMEOUT,
        heartbeat_timeout=HEARTBEAT_TIMEOUT,
        retry_policy=retry_policies.ORDER_RECOVERY,
        summary=summary,
    )


def _details(result: OrderRecoveryResult) -> str:
    details = (
        f"Checked {result.checked} waiting order(s); started {result.restarted_count}: "
        f"{', '.join(result.restarted[:20]) or 'none'}."
    )
    if result.closed_but_waiting_count:
        details += (
            f" **Needs an operator**: {result.closed_but_waiting_count} order(s) wait in the "
            f"database but their workflow is closed: {', '.join(result.closed_but_waiting[:20])}."
        )
    return details


@workflow.defn(name="OrderRecovery")
class OrderRecoveryWorkflow:
    @workflow.init
    def __init__(self, input: OrderRecoveryInput) -> None:
        self._progress = OrderRecoveryResult.nothing_yet()

    @workflow.run
    async def run(self, input: OrderRecoveryInput) -> OrderRecoveryResult:
        workflow.set_current_details("Looking for waiting orders without a workflow.")
        if workflow.patched(IN_STEPS):
            result = await self._in_steps(input)
        else:
            result = await _recovery_activity(
                OrderRecoveryActivities.recover_orders, input, "start missing order workflows"
            )
        workflow.set_current_details(_details(result))
        return result

    async def _in_steps(self, input: OrderRecoveryInput) -> OrderRecoveryResult:
        # One cutoff for the whole sweep, so the keyset over the waiting orders stays put.
        step = OrderRecoveryStep(
            cutoff=workflow.now() - input.older_than,
            page_size=input.page_size,
            budget=input.step_budget,
        )
        while True:
            done = await _recovery_activity(
                OrderRecoveryActivities.recover_orders_step,
                step,
                f"check waiting orders after {step.cursor or 'the oldest'}",
            )
            self._progress = self._progress.then(done)
            if self._progress.cursor is None:
                return self._progress
            workflow.set_current_details(
                f"{_details(self._progress)} Going on after `{self._progress.cursor}`."
            )
            step = step.model_copy(update={"cursor": self._progress.cursor})

    @workflow.query(name="progress")
    def progress(self) -> OrderRecoveryResult:
        return self._progress
