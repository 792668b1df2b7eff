"""The sandbox the worker runs workflows in, and the modules it shares with them.

The sandbox executes a workflow's module afresh for every workflow run it starts, and with it
every module that module imports unless that module is passed through (shared with the
worker). Passing through the pure modules workflows import (messages, vocabulary, retry
policies, search attribute keys, the activity classes they reference by function) makes a
workflow run's start several times cheaper. Only modules without I/O, clocks, randomness or
mutable module state belong here: the workflow modules themselves stay sandboxed, so their own
code is still checked for non-deterministic calls.
"""

from __future__ import annotations

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


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)
    )
