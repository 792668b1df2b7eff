"""How hard each kind of workflow step retries, in one place so that steps of the same kind
behave the same in every workflow. Plain values, safe inside the workflow sandbox."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

from billing.contracts.summary_workflow import PERMANENT_TAX_ERROR, TaxSyncOptions
from billing.contracts.webhooks import WebhookRetryOptions

# One short database transaction: a lost connection or a serialization failure is over in
# moments, so start fast and never wait long between attempts.
DATABASE = RetryPolicy(
    initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=30)
)

# A first try whose failure the workflow acts on (shows it) before retrying under a policy above.
SINGLE_ATTEMPT = RetryPolicy(maximum_attempts=1)

# Every step of a month-end or consolidation run: its pages are minutes of set-based SQL, so a
# slower start leaves the database room to recover before a step is tried again.
BILLING_RUN = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)
)

# The order-recovery sweep runs again on its schedule anyway; keep retrying, at most a minute apart.
ORDER_RECOVERY = RetryPolicy(maximum_interval=timedelta(minutes=1))


def tax_provider_call(options: TaxSyncOptions) -> RetryPolicy:
    """The tax provider: backoff and attempts as configured; a refusal no retry can fix
    (`PERMANENT_TAX_ERROR`) fails at once."""
    return RetryPolicy(
        initial_interval=options.retry_initial_interval,
        backoff_coefficient=2.0,
        maximum_interval=options.retry_maximum_interval,
        maximum_attempts=options.max_attempts,
        non_retryable_error_types=[PERMANENT_TAX_ERROR],
    )


def webhook_delivery(options: WebhookRetryOptions) -> RetryPolicy:
    """An order system's endpoint: exponential backoff from the initial interval up to the
    maximum, attempts unlimited; the activity's schedule-to-close timeout decides when to stop."""
    return RetryPolicy(
        initial_interval=options.initial_interval,
        backoff_coefficient=2.0,
        maximum_interval=options.maximum_interval,
    )
