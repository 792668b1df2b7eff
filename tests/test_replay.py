"""Every committed workflow history must replay on the current workflow code: a change that
would break running workflows fails here, before deploy. Re-record with
`python3 dev.py record-histories` only for an intended change (guard it with workflow.patched)."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from billing.temporal.data_converter import DATA_CONVERTER
from billing.temporal.workflow_sandbox import workflow_runner
from worker import WORKFLOWS

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_histories_are_committed() -> None:
    names = {path.stem for path in HISTORIES}
    assert {
        "order_all_succeed",
        "order_partial_failure",
        "order_stuck_then_resolved",
        "order_recovery",
        "order_recovery_in_steps",
        "order_upserts_on_change_per_item",
        "order_upserts_on_change_batched",
        "order_upserts_on_change_stuck",
        # Started with a delay that the first outcome ends.
        "order_first_run_per_item",
        "order_first_run_batched",
        "order_first_run_stuck",
        "order_first_run_stuck_unreported",
        # The Billing state shown only once billing's first attempt has failed.
        "order_billing_shown_on_retry_per_item",
        "order_billing_shown_on_retry_batched",
        "order_billing_shown_on_retry_stuck",
        "order_billing_shown_on_retry_stuck_unreported",
        "order_billing_retried",
        # Billing's retry as a task-queue activity.
        "order_billing_retried_on_task_queue",
    } <= names
    assert {"billing_run", "consolidation_run", "month_end", "daily_consolidation"} <= names
    assert {"summary_request_split", "tax_sync_completed", "tax_sync_failed_then_retried"} <= names
    # Tax sync's database steps as local activities, beside the first shape's histories above.
    assert {"tax_sync_completed_local_steps", "tax_sync_failed_then_retried_local_steps"} <= names
    assert {"pre_invoice_run", "month_end_pre_invoices"} <= names
    assert "webhook_failed_then_delivered" in names


# Sandboxed, a history whose replay reaches a clock, randomness or I/O fails; unsandboxed is
# how production workers run the same code.
@pytest.mark.parametrize("sandboxed", [True, False], ids=["sandboxed", "unsandboxed"])
@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_history_replays_on_current_code(path: Path, sandboxed: bool) -> None:
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=DATA_CONVERTER,
        workflow_runner=workflow_runner(sandboxed=sandboxed),
    )
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    await replayer.replay_workflow(history)
