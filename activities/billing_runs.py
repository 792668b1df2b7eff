"""Activities of the month-end and consolidation runs. Each page of customers is one database
transaction; an activity works through several pages, heartbeating the cursor after each, so a
retried activity (a worker crash, a lost heartbeat) resumes after the last committed page. A
page redone anyway (crash between commit and heartbeat) invoices nothing twice: the schema's
unique grouping key and the `invoice_id is null` guard see to it.

The month-end run writes `parallel_pages` pages of disjoint customers at a time, each on its
own connection: they take turns only to number their invoices. The cursor is heartbeaten once
the whole round has committed."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from sqlalchemy import Connection, Engine
from temporalio import activity

from activities.page_rounds import resume_cursor, work_in_rounds
from billing.contracts.billing_runs import (
    FinishRunInput,
    IssuersInput,
    PagesInput,
    PagesResult,
    RunResult,
    RunStartInput,
)
from billing.fault_injection import kill_point
from billing.periods import Period
from billing.store import billing_runs, consolidation, month_end, renewals
from billing.store.run_invoicing import Invoiced, add_progress
from billing.vocabulary import RunKind

# One page: (connection, cursor) -> (next cursor or None, customers done, invoiced, renewals).
Page = Callable[[Connection, str | None], tuple[str | None, int, Invoiced, int]]


class BillingRunActivities:
    def __init__(self, engine: Engine, *, parallel_pages: int = 1) -> None:
        self._engine = engine
        self._parallel = max(1, parallel_pages)
        self._pages = ThreadPoolExecutor(self._parallel, thread_name_prefix="run-page")

    @activity.defn(name="start_billing_run")
    def start_billing_run(self, run: RunStartInput) -> None:
        with self._engine.begin() as conn:
            if run.kind is RunKind.month_end:
                assert run.issuer_id is not None
                grouping = month_end.issuer_billing(conn, run.issuer_id).grouping
                total = month_end.count_keys(conn, run.issuer_id, grouping)
            else:
                total = consolidation.count_due_customers(conn, date.fromisoformat(run.period))
            billing_runs.start_run(conn, run, customers_total=total)

    @activity.defn(name="invoice_period_pages")
    def invoice_period_pages(self, pages: PagesInput) -> PagesResult:
        assert pages.issuer_id is not None
        issuer_id, period = pages.issuer_id, Period.parse(pages.period)

        def keys(cursor: str | None, limit: int) -> list[str]:
            with self._engine.begin() as conn:
                return month_end.keys_after(conn, issuer_id, cursor, limit)

        def page(after: str | None, last: str) -> month_end.PageDone:
            with self._engine.begin() as conn:
                done = month_end.invoice_page(
                    conn,
                    run_id=pages.run_id,
                    issuer_id=issuer_id,
                    period=period,
                    cursor=after,
                    page_size=pages.page_size,
                    last=last,
                )
                kill_point("run_page.in_transaction")
            kill_point("run_page.after_commit")
            return done

        done, cursor = work_in_rounds(
            self._pages,
            cursor=resume_cursor(pages.cursor),
            max_pages=pages.max_pages,
            page_size=pages.page_size,
            pages=self._parallel,
            keys=keys,
            page=page,
        )
        return PagesResult(
            cursor=cursor,
            invoices_created=sum(page.invoiced.invoices_created for page in done),
            lines_invoiced=sum(page.invoiced.lines_invoiced for page in done),
            customers_done=sum(page.keys for page in done),
        )

    @activity.defn(name="generate_renewal_orders")
    def generate_renewal_orders(self, pages: PagesInput) -> PagesResult:
        as_of = date.fromisoformat(pages.period)

        def page(conn: Connection, cursor: str | None) -> tuple[str | None, int, Invoiced, int]:
            done = renewals.generate_renewal_orders(
                conn, as_of=as_of, cursor=cursor, page_size=pages.page_size
            )
            add_progress(
                conn, pages.run_id, customers=0, invoiced=Invoiced(0, 0), renewals=done.created
            )
            return done.next_cursor, 0, Invoiced(0, 0), done.created

        return self._work_through(pages, page)

    @activity.defn(name="consolidate_pages")
    def consolidate_pages(self, pages: PagesInput) -> PagesResult:
        as_of = date.fromisoformat(pages.period)

        def page(conn: Connection, cursor: str | None) -> tuple[str | None, int, Invoiced, int]:
            next_cursor, customers, invoiced = consolidation.consolidate_page(
                conn, run_id=pages.run_id, as_of=as_of, cursor=cursor, page_size=pages.page_size
            )
            return next_cursor, customers, invoiced, 0

        return self._work_through(pages, page)

    @activity.defn(name="finish_billing_run")
    def finish_billing_run(self, input: FinishRunInput) -> RunResult:
        with self._engine.begin() as conn:
            return billing_runs.finish_run(conn, input.run_id)

    @activity.defn(name="issuers_to_bill")
    def issuers_to_bill(self, query: IssuersInput) -> list[str]:
        with self._engine.begin() as conn:
            return month_end.issuers_with_monthly_lines(
                conn, Period.parse(query.period), after=query.after, limit=query.limit
            )

    def _work_through(self, pages: PagesInput, page: Page) -> PagesResult:
        cursor = resume_cursor(pages.cursor)
        result = PagesResult(cursor=cursor)
        for _ in range(pages.max_pages):
            with self._engine.begin() as conn:
                cursor, customers, invoiced, created = page(conn, cursor)
                kill_point("run_page.in_transaction")
            kill_point("run_page.after_commit")
            result = PagesResult(
                cursor=cursor,
                invoices_created=result.invoices_created + invoiced.invoices_created,
                lines_invoiced=result.lines_invoiced + invoiced.lines_invoiced,
                customers_done=result.customers_done + customers,
                renewal_orders_created=result.renewal_orders_created + created,
            )
            if cursor is None:
                return result
            activity.heartbeat(cursor)
        return result
