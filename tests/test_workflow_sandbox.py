"""The workers the tests build run every workflow in the sandbox, which still refuses
non-deterministic calls in workflow code while the pure modules workflows import are shared
with the worker instead of executed again for every run. Production workers run workflows
unsandboxed unless BILLING_WORKFLOW_SANDBOX asks for it; what keeps them deterministic is
that every workflow change passes through these workers in CI first."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

import pytest
from temporalio import workflow
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker, WorkflowRunner

import billing.contracts.order_workflow
import workflows.retry_policies

# The sandbox executes this module again for each run of the workflows below; what only the
# tests use is shared, not executed there.
with workflow.unsafe.imports_passed_through():
    from sqlalchemy import Engine

    from billing.settings import load_settings
    from worker import build_worker, worker_from_settings


@workflow.defn
class ReadsTheClock:
    @workflow.run
    async def run(self) -> str:
        return datetime.now(UTC).isoformat()


@workflow.defn
class DrawsARandomNumber:
    @workflow.run
    async def run(self) -> float:
        return random.random()


@workflow.defn
class UsesSharedModules:
    @workflow.run
    async def run(self, worker_modules: list[int]) -> bool:
        import billing.contracts.order_workflow as contracts
        import workflows.retry_policies as policies

        return [id(contracts), id(policies)] == worker_modules


def runner_of(worker: Worker) -> WorkflowRunner:
    runner = worker.config()["workflow_runner"]
    assert runner is not None
    return runner


async def test_the_tests_workers_refuse_the_clock_and_randomness_and_share_pure_modules(
    temporal_env: WorkflowEnvironment, engine: Engine
) -> None:
    # The runner of a worker built as every test builds one.
    tests_worker = build_worker(
        temporal_env.client, engine, task_queue=f"sandbox-built-{uuid.uuid4().hex[:6]}"
    )
    queue = f"sandbox-{uuid.uuid4().hex[:6]}"
    async with Worker(
        temporal_env.client,
        task_queue=queue,
        workflows=[ReadsTheClock, DrawsARandomNumber, UsesSharedModules],
        workflow_runner=runner_of(tests_worker),
        workflow_failure_exception_types=[Exception],
    ):
        assert await temporal_env.client.execute_workflow(
            UsesSharedModules.run,
            [id(billing.contracts.order_workflow), id(workflows.retry_policies)],
            id=f"shared-{queue}",
            task_queue=queue,
        )
        for refused in (ReadsTheClock.run, DrawsARandomNumber.run):
            with pytest.raises(WorkflowFailureError) as raised:
                await temporal_env.client.execute_workflow(
                    refused, id=f"refused-{uuid.uuid4().hex[:6]}", task_queue=queue
                )
            assert "restricted" in str(raised.value.cause).lower()


async def test_production_workers_run_workflows_unsandboxed_unless_asked(
    temporal_env: WorkflowEnvironment, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BILLING_WORKFLOW_SANDBOX", raising=False)
    monkeypatch.setenv("BILLING_TASK_QUEUE", f"sandbox-default-{uuid.uuid4().hex[:6]}")
    production = worker_from_settings(temporal_env.client, engine, load_settings())
    assert isinstance(runner_of(production), UnsandboxedWorkflowRunner)
    monkeypatch.setenv("BILLING_WORKFLOW_SANDBOX", "true")
    monkeypatch.setenv("BILLING_TASK_QUEUE", f"sandbox-asked-{uuid.uuid4().hex[:6]}")
    asked = worker_from_settings(temporal_env.client, engine, load_settings())
    assert not isinstance(runner_of(asked), UnsandboxedWorkflowRunner)
