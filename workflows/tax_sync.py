"""One workflow per summary invoice walks its tax-sync states with the tax provider:
New → TaxInProgress → TaxCompleted, or → TaxFailed, where it waits for an operator's `retry`
signal and goes back to TaxInProgress.

Workflow id `tax-sync-<summary invoice id>`. Transient provider failures (timeouts, 429, 5xx)
are retried by Temporal with exponential backoff up to the configured attempts; permanent ones
(non-retryable `PermanentTaxError`) fail at once. The provider's document code is the summary
invoice id, so no retry, automatic or by hand, ever makes a second tax document.

The database steps around the call (begin, complete, fail) run as local
activities: each is one short idempotent transaction, so running it inside the workflow task
saves a task-queue round trip and a workflow task per step, and a worker that dies before the
task completes just runs it again. The provider call stays a task-queue activity, with its own
timeout, backoff and attempts. Workflows started before this shape (no `LOCAL_DB_STEPS` marker)
keep running their steps as task-queue activities.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, TimeoutError

with workflow.unsafe.imports_passed_through():
    from activities.tax_sync import TaxSyncActivities
    from billing.contracts.summary_workflow import (
        PERMANENT_TAX_ERROR,
        BeginTaxSyncInput,
        CalculateTaxInput,
        CompleteTaxSyncInput,
        FailTaxSyncInput,
        TaxSyncInput,
        TaxSyncProgress,
    )
    from billing.vocabulary import SummaryInvoiceState
    from workflows import retry_policies
    from workflows import search_attributes as sa
    from workflows.search_attributes import BillingState

State = SummaryInvoiceState
DB_TIMEOUT = timedelta(seconds=30)
# Named once: signal-with-start takes the signal by name.
RETRY_SIGNAL = "retry"
LOCAL_DB_STEPS = "tax-sync-local-db-steps"

Input = TypeVar("Input")
Output = TypeVar("Output")


def workflow_id(summary_invoice_id: str) -> str:
    return f"tax-sync-{summary_invoice_id}"


@workflow.defn(name="TaxSync")
class TaxSyncWorkflow:
    @workflow.init
    def __init__(self, input: TaxSyncInput) -> None:
        self._input = input
        self._state = State.new
        self._reference: str | None = None
        self._reason: str | None = None
        self._attempts = 0
        self._retry_requested = False
        self._local_db_steps = False

    @workflow.run
    async def run(self, input: TaxSyncInput) -> TaxSyncProgress:
        self._local_db_steps = workflow.patched(LOCAL_DB_STEPS)
        while True:
            self._retry_requested = False
            begun = await self._db_step(
                TaxSyncActivities.begin_tax_sync,
                BeginTaxSyncInput(summary_invoice_id=input.summary_invoice_id),
                "→ TaxInProgress",
            )
            self._attempts = begun.attempt
            if begun.state is State.tax_completed:  # finished by an earlier run
                self._state = State.tax_completed
                self._publish("Tax sync was already complete.")
                return self.progress()
            self._state = State.tax_in_progress
            self._publish(f"Calling the tax provider (sync attempt {begun.attempt}).")
            try:
                outcome = await workflow.execute_activity_method(
                    TaxSyncActivities.calculate_tax,
                    CalculateTaxInput(summary_invoice_id=input.summary_invoice_id),
                    start_to_close_timeout=input.options.call_timeout,
                    retry_policy=retry_policies.tax_provider_call(input.options),
                    summary="create or adjust the tax document",
                )
            except ActivityError as error:
                self._reason = _reason(error, input.options.max_attempts)
                await self._db_step(
                    TaxSyncActivities.fail_tax_sync,
                    FailTaxSyncInput(
                        summary_invoice_id=input.summary_invoice_id, reason=self._reason
                    ),
                    "→ TaxFailed",
                )
                self._state = State.tax_failed
                self._publish(
                    f"**TaxFailed**: {self._reason} Waiting for an operator to retry "
                    "(`billing summaries retry-tax` or POST .../tax-sync/retry)."
                )
                await workflow.wait_condition(lambda: self._retry_requested)
                continue
            await self._db_step(
                TaxSyncActivities.complete_tax_sync,
                CompleteTaxSyncInput(summary_invoice_id=input.summary_invoice_id, outcome=outcome),
                "→ TaxCompleted, keep the tax invoice",
            )
            self._state, self._reference, self._reason = (
                State.tax_completed,
                outcome.reference_code,
                None,
            )
            self._publish(f"Tax completed: reference {outcome.reference_code}.")
            return self.progress()

    @workflow.signal(name=RETRY_SIGNAL)
    def retry(self) -> None:
        # The API only signals after reading TaxFailed from the database, which can happen just
        # before this workflow has seen its own failure: remember the request either way; the
        # next attempt clears it.
        self._retry_requested = True

    @workflow.query(name="progress")
    def progress(self) -> TaxSyncProgress:
        return TaxSyncProgress(
            summary_invoice_id=self._input.summary_invoice_id,
            invoice_code=self._input.invoice_code,
            state=self._state,
            reference_code=self._reference,
            failure_reason=self._reason,
            attempts=self._attempts,
        )

    async def _db_step(
        self, step: Callable[[Any, Input], Output], arg: Input, summary: str
    ) -> Output:
        if self._local_db_steps:
            return await workflow.execute_local_activity_method(
                step,
                arg,
                start_to_close_timeout=DB_TIMEOUT,
                retry_policy=retry_policies.DATABASE,
                summary=summary,
            )
        return await workflow.execute_activity_method(
            step,
            arg,
            start_to_close_timeout=DB_TIMEOUT,
            retry_policy=retry_policies.DATABASE,
            summary=summary,
        )

    def _publish(self, details: str) -> None:
        workflow.upsert_search_attributes(
            [sa.BILLING_STATE.value_set(BillingState.of_tax_sync(self._state))]
        )
        workflow.set_current_details(f"{self._input.invoice_code}: {details}")


def _reason(error: ActivityError, max_attempts: int) -> str:
    cause = error.cause
    if isinstance(cause, ApplicationError):
        if cause.type == PERMANENT_TAX_ERROR or cause.non_retryable:
            return cause.message
        return f"Gave up after {max_attempts} attempts; last error: {cause.message}"
    if isinstance(cause, TimeoutError):
        return f"Gave up after {max_attempts} attempts; the tax provider timed out."
    return str(cause or error)
