"""How the worker runs workflows: in the SDK's sandbox, or without it.

The sandbox executes a workflow's module afresh for every workflow run it starts and routes
every payload of every activation through itself: much of the worker's CPU per order
(bench/README.md). What it buys is a check: workflow code that reads the clock, draws
random numbers or does I/O fails its workflow task instead of running. That check is worth the
most where workflow code changes, so the test suite's workers and the replay tests run every
workflow sandboxed (`build_worker` defaults to it) and a non-deterministic call fails in CI;
production workers run them unsandboxed unless `BILLING_WORKFLOW_SANDBOX` asks for the sandbox.
Without the sandbox every run shares the worker's modules, so workflow modules hold no mutable
module state (`tests/unit/test_workflow_module_state.py` keeps it so).

Sandboxed, the pure modules workflows import (messages, vocabulary, retry policies, search
attribute keys, the activity classes they reference by function) are passed through, shared
with the worker instead of executed again for every run. Only modules without I/O, clocks,
randomness or mutable module state belong here: the workflow modules themselves stay
sandboxed, so their own code is still checked.
"""

from __future__ import annotations

from temporalio.worker import UnsandboxedWorkflowRunner, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

# Each entry passes the module and its submodules through.
PASSTHROUGH_MODULES = (
    "billing.contracts",
    "billing.vocabulary",
    "billing.errors",
    "billing.periods",
    "billing.subscriptions",
    "billing.summary_invoices",
    "billing.webhook_events",
    "workflows.retry_policies",
    "workflows.search_attributes",
    # Workflows hold the activity classes only to name their methods; the activities run
    # outside the sandbox either way.
    "activities",
)


def workflow_runner(*, sandboxed: bool) -> WorkflowRunner:
    if not sandboxed:
        return UnsandboxedWorkflowRunner()
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)
    )
