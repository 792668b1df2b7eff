"""Pre-invoice generations: what the API takes and shows, and what crosses the generation
workflow's boundaries (plain pydantic, so the sandbox passes it through)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from billing.contracts.common import Identifier, Strict
from billing.vocabulary import RunStatus


class PreInvoiceRunIn(Strict):
    issuer_id: Identifier
    as_of: date = Field(description="Every month that starts on or before this day is billed.")


class PreInvoiceRunAccepted(BaseModel):
    run_id: str = Field(description="The workflow id: pre-invoice-run-<issuer>-<as_of>-<n>.")


class PreInvoiceRun(BaseModel):
    run_id: str
    issuer_id: str
    as_of: date
    status: RunStatus
    receivers_total: int
    receivers_done: int
    pre_invoices_created: int
    lines_written: int
    started_at: datetime
    finished_at: datetime | None
    requested_by: str | None = Field(
        default=None,
        description="The month-end workflow that started it; null when started through the API.",
    )


# --- workflow and activity boundaries ---


class PreInvoiceRunInput(BaseModel):
    issuer_id: str
    as_of: date
    page_size: int = 500
    # Pages one activity works through (heartbeating after each) before handing back.
    pages_per_activity: int = 50
    # Where a continued-as-new generation resumes.
    cursor: str | None = None
    started: bool = False


class StartPreInvoiceRunInput(BaseModel):
    run_id: str


class GeneratePagesInput(BaseModel):
    run_id: str
    issuer_id: str
    as_of: date
    cursor: str | None
    page_size: int
    max_pages: int


class GeneratePagesResult(BaseModel):
    cursor: str | None = Field(description="Resume after this receiver; None when done.")
    receivers_done: int = 0
    pre_invoices_created: int = 0
    lines_written: int = 0


class FinishPreInvoiceRunInput(BaseModel):
    run_id: str


class PreInvoiceRunResult(BaseModel):
    run_id: str
    status: RunStatus
    receivers_total: int
    pre_invoices_created: int
    lines_written: int


class PreInvoiceProgress(BaseModel):
    """What the workflow's `progress` query answers."""

    as_of: date
    receivers_total: int
    receivers_done: int
    pre_invoices_created: int
    lines_written: int
    cursor: str | None


class MonthEndPreInvoicesInput(BaseModel):
    """Started by the month-end schedule: as_of None means the day it runs."""

    as_of: date | None = None
    after: str | None = None


class DeltaIssuersInput(BaseModel):
    after: str | None = None
    limit: int = 100


class ReserveRunInput(BaseModel):
    issuer_id: str
    as_of: date
    requested_by: str
