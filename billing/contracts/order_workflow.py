"""What crosses the order workflow's boundary: its input, signal, query and activity results.
Plain pydantic so the workflow sandbox passes it through."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field

from billing.vocabulary import Outcome


class OrderWorkflowInput(BaseModel):
    order_number: str
    issuer_id: str
    customer_id: str
    item_ids: list[str]
    stuck_after: timedelta
    # Outcomes already known; filled when the workflow continues as new.
    outcomes: dict[str, Outcome] = Field(default_factory=dict)
    stuck: bool = False
    # True for orders started by this version of the engine: the workflow trusts the search
    # attributes its start request set and upserts one only when its value changes (one upsert
    # when billing starts, one when billed). Orders started before carry False and keep the
    # upsert at every step their histories hold, so the change never reaches them.
    upserts_changes_only: bool = False
    # True for orders started by this version of the engine, whose workflow usually first runs
    # when an outcome arrives (its start is delayed until then): a first run that finds every
    # outcome in goes straight to billing, without publishing a waiting state already over.
    # Orders started before carry False and keep the publish their histories hold.
    first_run_at_first_outcome: bool = False
    # True for orders started by this version of the engine: the Billing state is published
    # only once billing's first attempt has failed (one upsert, Invoiced, when it succeeds at
    # once). Orders started before carry False and keep the Billing upsert their histories hold.
    shows_billing_once_retried: bool = False


class ProvisioningReported(BaseModel):
    item_id: str
    outcome: Outcome


class ProvisioningBatchReported(BaseModel):
    """Several items' outcomes in one signal: one workflow task for a batched report."""

    reports: list[ProvisioningReported]


class BillOrderInput(BaseModel):
    """Activity input: bill the order from the outcomes recorded in the database."""

    order_number: str


class MarkOrderStuckInput(BaseModel):
    """Activity input: record that the order is stuck and re-read its recorded outcomes."""

    order_number: str


class OrderProgress(BaseModel):
    order_number: str
    billing_state: str
    pending_items: list[str]
    outcomes: dict[str, Outcome]
    stuck: bool
    invoice_id: str | None = None


class OrderBillingResult(BaseModel):
    invoice_id: str | None
    invoice_number: str | None
    per_order_items: list[str]
    monthly_items: list[str]
    failed_items: list[str]
