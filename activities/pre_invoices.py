"""Activities of pre-invoice generation. Each page of receivers is one database transaction; an
activity works through several pages, `parallel_pages` of them at a time on their own
connections (pages of disjoint receivers only wait for each other to number their new
pre-invoices), heartbeating the cursor after each such round, so a retried activity resumes
after the last round that committed whole. A page redone anyway writes nothing twice: a delta
already written makes the month's difference zero, and the schema's unique (subscription,
month, sequence) refuses a line another generation wrote first."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine
from temporalio import activity

from activities.page_rounds import resume_cursor, work_in_rounds
from billing.contracts.pre_invoices import (
    DeltaIssuersInput,
    FinishPreInvoiceRunInput,
    GeneratePagesInput,
    GeneratePagesResult,
    PreInvoiceRunResult,
    ReserveRunInput,
    StartPreInvoiceRunInput,
)
from billing.store import pre_invoice_runs, pre_invoices
from billing.store.pre_invoices import PageDone


class PreInvoiceActivities:
    def __init__(self, engine: Engine, *, parallel_pages: int = 1) -> None:
        self._engine = engine
        self._parallel = max(1, parallel_pages)
        self._pages = ThreadPoolExecutor(self._parallel, thread_name_prefix="pre-invoice-page")

    @activity.defn
    def start_pre_invoice_run(self, run: StartPreInvoiceRunInput) -> int:
        """Record how many receivers the run will go through, and give the pre-invoices that
        waited for their accounting period the one that exists now."""
        with self._engine.begin() as conn:
            issuer_id = pre_invoice_runs.get_run(conn, run.run_id).issuer_id
            pre_invoices.assign_missing_periods(conn, issuer_id)
            total = pre_invoices.receivers_total(conn, issuer_id)
            pre_invoice_runs.start_run(conn, run.run_id, total)
            return total

    @activity.defn
    def generate_pre_invoice_pages(self, pages: GeneratePagesInput) -> GeneratePagesResult:
        def keys(cursor: str | None, limit: int) -> list[str]:
            with self._engine.begin() as conn:
                return pre_invoices.receivers_after(conn, pages.issuer_id, cursor, limit)

        done, cursor = work_in_rounds(
            self._pages,
            cursor=resume_cursor(pages.cursor),
            max_pages=pages.max_pages,
            page_size=pages.page_size,
            pages=self._parallel,
            keys=keys,
            page=lambda after, last: self._page(pages, after, last),
        )
        return GeneratePagesResult(
            cursor=cursor,
            receivers_done=sum(page.receivers for page in done),
            pre_invoices_created=sum(page.pre_invoices_created for page in done),
            lines_written=sum(page.lines_written for page in done),
        )

    def _page(self, pages: GeneratePagesInput, after: str | None, last: str) -> PageDone:
        with self._engine.begin() as conn:
            return pre_invoices.generate_page(
                conn,
                run_id=pages.run_id,
                issuer_id=pages.issuer_id,
                as_of=pages.as_of,
                cursor=after,
                page_size=pages.page_size,
                last=last,
            )

    @activity.defn
    def finish_pre_invoice_run(self, run: FinishPreInvoiceRunInput) -> PreInvoiceRunResult:
        with self._engine.begin() as conn:
            return pre_invoice_runs.finish_run(conn, run.run_id)

    @activity.defn
    def delta_issuers(self, query: DeltaIssuersInput) -> list[str]:
        with self._engine.begin() as conn:
            return pre_invoice_runs.delta_issuers(conn, after=query.after, limit=query.limit)

    @activity.defn
    def reserve_pre_invoice_run(self, reserve: ReserveRunInput) -> str:
        with self._engine.begin() as conn:
            return pre_invoice_runs.reserve_run(
                conn, reserve.issuer_id, reserve.as_of, requested_by=reserve.requested_by
            )
