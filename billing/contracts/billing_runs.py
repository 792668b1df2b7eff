"""Month-end billing runs and billing-day consolidation runs: what the API takes and shows, and
what crosses their workflows' boundaries (plain pydantic, so the sandbox passes it through)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from billing.contracts.common import Identifier, Strict
from billing.vocabulary import RunKind, RunStatus

PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


class BillingRunIn(Strict):
    issuer_id: Identifier
    period: str = Field(
        pattern=PERIOD_PATTERN,
        description="The month to bill, YYYY-MM: one that has ended, or the current month "
        "(billed early). Months before 2000-01 or after the current one are refused (422).",
    )


class ConsolidationRunIn(Strict):
    as_of: date = Field(description="The day the run stands on; backfill with a past day.")


class RunAccepted(BaseModel):
    run_id: str


class BillingRun(BaseModel):
    run_id: str
    kind: RunKind
    issuer_id: str | None
    period: str
    status: RunStatus
    customers_total: int
    customers_done: int
    invoices_created: int
    lines_invoiced: int
    renewal_orders_created: int
    started_at: datetime
    finished_at: datetime | None


# --- workflow and activity boundaries ---


class BillingRunInput(BaseModel):
    issuer_id: str
    period: str
    page_size: int = 500
    # Pages one activity works through (heartbeating after each) before handing back.
    pages_per_activity: int = 50
    # Where a continued-as-new run resumes.
    cursor: str | None = None
    started: bool = False


class RunStartInput(BaseModel):
    run_id: str
    execution_id: str
    kind: RunKind
    issuer_id: str | None
    period: str


class PagesInput(BaseModel):
    run_id: str
    issuer_id: str | None = None
    period: str
    cursor: str | None
    page_size: int
    max_pages: int


class PagesResult(BaseModel):
    cursor: str | None = Field(description="Resume after this key; None when the run is done.")
    invoices_created: int = 0
    lines_invoiced: int = 0
    customers_done: int = 0
    renewal_orders_created: int = 0


class RunResult(BaseModel):
    run_id: str
    status: RunStatus
    invoices_created: int
    lines_invoiced: int
    renewal_orders_created: int = 0


class FinishRunInput(BaseModel):
    """Activity input: mark the run completed and read its totals."""

    run_id: str


class IssuersInput(BaseModel):
    period: str
    after: str | None = None
    limit: int = 100


class MonthEndInput(BaseModel):
    """Started by the month-end schedule: bills the month before `period` when none is given."""

    period: str | None = None
    # Where a continued-as-new month end resumes in the list of issuers.
    after: str | None = None


class ConsolidationInput(BaseModel):
    """Started by the daily schedule (as_of None: the day it runs) or by hand (a past day is a
    backfill)."""

    as_of: date | None = None
    page_size: int = 500
    pages_per_activity: int = 50
    cursor: str | None = None
    renewals_done: bool = False
    started: bool = False
