"""The worker's sandbox still refuses non-deterministic calls in workflow code, while the pure
modules workflows import are shared with the worker instead of executed again for every run."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from temporalio import workflow
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

import billing.contracts.order_workflow
import workflows.retry_policies
from billing.temporal.workflow_sandbox import workflow_runner


@workflow.defn(sandboxed=True)
class ReadsTheClock:
    @workflow.run
    async def run(self) -> str:
        return datetime.now(UTC).isoformat()


@workflow.defn(sandboxed=True)
class UsesSharedModules:
    @workflow.run
    async def run(self, worker_modules: list[int]) -> bool:
        import billing.contracts.order_workflow as contracts
        import workflows.retry_policies as policies

        return [id(contracts), id(policies)] == worker_modules


async def test_the_sandbox_still_refuses_the_clock_and_shares_pure_modules(
    temporal_env: WorkflowEnvironment,
) -> None:
    queue = f"sandbox-{uuid.uuid4().hex[:6]}"
    async with Worker(
        temporal_env.client,
        task_queue=queue,
        workflows=[ReadsTheClock, UsesSharedModules],
        workflow_runner=workflow_runner(),
        workflow_failure_exception_types=[Exception],
    ):
        assert await temporal_env.client.execute_workflow(
            UsesSharedModules.run,
            [id(billing.contracts.order_workflow), id(workflows.retry_policies)],
            id=f"shared-{queue}",
            task_queue=queue,
        )
        with pytest.raises(WorkflowFailureError):
            await temporal_env.client.execute_workflow(
                ReadsTheClock.run, id=f"clock-{queue}", task_queue=queue
            )
