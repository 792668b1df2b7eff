"""The replay tests are worth something only if they fail on a breaking change: a copy of the
order workflow that inserts a timer before its first step must fail to replay a committed
history with NondeterminismError, and the same change behind `workflow.patched` must replay."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from billing.temporal.data_converter import DATA_CONVERTER
from billing.temporal.workflow_sandbox import workflow_runner

with workflow.unsafe.imports_passed_through():
    from billing.contracts.order_workflow import OrderBillingResult, OrderWorkflowInput
    from workflows.order import OrderWorkflow

HISTORY = Path(__file__).parent / "histories" / "order_all_succeed.json"


@workflow.defn(name="Order")
class OrderWithAnUnguardedTimer(OrderWorkflow):
    @workflow.run
    async def run(self, input: OrderWorkflowInput) -> OrderBillingResult:
        await workflow.sleep(timedelta(seconds=1))  # a new command the old history never had
        return await super().run(input)


@workflow.defn(name="Order")
class OrderWithAPatchedTimer(OrderWorkflow):
    @workflow.run
    async def run(self, input: OrderWorkflowInput) -> OrderBillingResult:
        if workflow.patched("settle-for-a-second"):
            await workflow.sleep(timedelta(seconds=1))
        return await super().run(input)


async def replay(workflow_class: type) -> None:
    replayer = Replayer(
        workflows=[workflow_class],
        data_converter=DATA_CONVERTER,
        workflow_runner=workflow_runner(sandboxed=True),
    )
    await replayer.replay_workflow(WorkflowHistory.from_json("order", HISTORY.read_text()))


async def test_an_unguarded_change_fails_to_replay_a_committed_history() -> None:
    await replay(OrderWorkflow)  # the committed history replays on the real code
    with pytest.raises(NondeterminismError):
        await replay(OrderWithAnUnguardedTimer)


async def test_the_same_change_behind_a_patch_replays() -> None:
    await replay(OrderWithAPatchedTimer)
