"""Benchmark: a month-end run over many customers against one raw INSERT ... SELECT.

    python3 dev.py bench month_end_run [--customers 100000] [--lines 10] [--page-size 500]

Makes a fresh database (DATABASE_URL's server, else an embedded one), generates the customers
and their uninvoiced monthly lines with set-based SQL, then measures:

1. the real month-end run: BillingRun workflow on a Temporal dev server, its activities on a
   worker, paging through customers, one transaction per page;
2. the baseline: the same lines, uninvoiced again, grouped into the same invoices by one raw
   INSERT ... SELECT + link in one transaction (no paging, no workflow, no resumability).

and prints both wall times and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime

from sqlalchemy import Engine, create_engine, text
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from billing.contracts.billing_runs import BillingRunInput, RunResult
from billing.database import make_engine
from billing.periods import Period
from billing.store.month_end import run_key_sql
from billing.store.run_invoicing import number_sql, payment_term_days_sql
from billing.vocabulary import InvoiceGrouping
from starter.binaries import temporal_cli
from tests.databases import fresh_database
from worker import build_worker
from workflows import search_attributes
from workflows.billing_runs import BillingRunWorkflow, billing_run_id

ISSUER = "bench-seller"


def generate(engine: Engine, customers: int, lines: int) -> None:
    """Customers with a bill-to and a payment term each; lines alternate between two invoice
    group numbers, so every customer gets two invoices."""
    with engine.begin() as conn:
        conn.execute(
            text(
                f"""
                insert into partners (id, name, level, parent_id, currency)
                values ('bench-dist', 'Distributor', 'distributor', null, 'EUR'),
                       ('{ISSUER}', 'Seller', 'seller', 'bench-dist', 'EUR');
                insert into vendors (id, name) values ('bench-msft', 'Microsoft');
                insert into offers (id, vendor_id, name, billing_type, unit_price, currency)
                values ('bench-e5', 'bench-msft', 'E5', 'recurring', 30.00, 'EUR')
                """
            )
        )
        conn.execute(
            text(
                """
                insert into partners (id, name, level, parent_id, currency, bill_to_contact,
                                      payment_term)
                select 'c' || lpad(g::text, 7, '0'), 'Customer ' || g, 'customer', :issuer,
                       'EUR', 'Contact ' || g,
                       (array['due_upon_receipt', 'net_30', 'net_60'])[1 + g % 3]
                from generate_series(1, :customers) g
                """
            ),
            {"issuer": ISSUER, "customers": customers},
        )
        conn.execute(
            text(
                """
                insert into billing_lines (charge_key, issuer_id, receiver_id, vendor_id, offer_id,
                                           quantity, unit_price, amount, currency,
                                           invoice_frequency, invoice_group_number)
                select 'bench:' || c || ':' || l, :issuer, 'c' || lpad(c::text, 7, '0'),
                       'bench-msft', 'bench-e5', 1 + l % 3, 30.00, (1 + l % 3) * 30.00, 'EUR',
                       'monthly', 'PO ' || (l % 2)
                from generate_series(1, :customers) c, generate_series(1, :lines) l
                """
            ),
            {"issuer": ISSUER, "customers": customers, "lines": lines},
        )
    with engine.connect() as conn:
        conn.execute(text("vacuum analyze"))


def reset(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("update billing_lines set invoice_id = null"))
        conn.execute(text("delete from invoices"))
        conn.execute(text("delete from invoice_number_sequences"))
    with engine.connect() as conn:
        conn.execute(text("vacuum analyze"))


def baseline(engine: Engine, period: Period) -> tuple[int, int]:
    """The same grouping in one raw statement: no pages, no progress, no resumability."""
    key = run_key_sql(InvoiceGrouping.receiver)
    with engine.begin() as conn:
        row = conn.execute(
            text(
                f"""
                with staged as (
                    select l.id, l.receiver_id, l.currency, l.amount, l.invoice_group_number,
                           coalesce(l.bill_to_contact, p.bill_to_contact) as bill_to_contact,
                           coalesce(l.payment_term, p.payment_term) as payment_term,
                           {key} as grouping_key
                    from billing_lines l join partners p on p.id = l.receiver_id
                    where l.issuer_id = :issuer and l.invoice_id is null
                      and l.invoice_frequency = 'monthly'
                ),
                inserted as (
                    insert into invoices (number, type, status, issuer_id, receiver_id, currency,
                                          subtotal, total, bill_to_contact, payment_term,
                                          due_date, invoice_group_number, period, grouping_key)
                    select {number_sql("row_number() over (order by min(id))")}, 'periodic',
                           'verified', :issuer, receiver_id, currency, sum(amount), sum(amount),
                           bill_to_contact, payment_term,
                           cast(:last_day as date) + {payment_term_days_sql("payment_term")},
                           invoice_group_number, :period, grouping_key
                    from staged
                    group by grouping_key, receiver_id, currency, invoice_group_number,
                             bill_to_contact, payment_term
                    returning id, grouping_key
                ),
                linked as (
                    update billing_lines l set invoice_id = i.id
                    from staged s join inserted i using (grouping_key)
                    where l.id = s.id
                    returning 1
                )
                select (select count(*) from inserted) as invoices,
                       (select count(*) from linked) as lines
                """
            ),
            {"issuer": ISSUER, "period": str(period), "last_day": period.last_day},
        ).one()
    return row.invoices, row.lines


async def run_month_end(url: str, period: Period, page_size: int) -> tuple[RunResult, float]:
    """Start the servers, then time the run alone: from start to result."""
    engine = make_engine(url, pool_size=8)
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(),
        search_attributes=search_attributes.ALL,
        data_converter=pydantic_data_converter,
    )
    async with env:
        queue = "bench"
        async with build_worker(env.client, engine, task_queue=queue, max_concurrent_activities=8):
            started = time.perf_counter()
            result = await env.client.execute_workflow(
                BillingRunWorkflow.run,
                BillingRunInput(issuer_id=ISSUER, period=str(period), page_size=page_size),
                id=billing_run_id(ISSUER, str(period)),
                task_queue=queue,
            )
            elapsed = time.perf_counter() - started
    engine.dispose()
    return result, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=10, help="lines per customer")
    parser.add_argument("--page-size", type=int, default=500, help="customers per transaction")
    args = parser.parse_args()

    with fresh_database("billing_bench") as url:
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        period = Period.containing(datetime.now(UTC).date())
        t = time.perf_counter()
        generate(engine, args.customers, args.lines)
        print(
            f"generated {args.customers:,} customers x {args.lines} lines "
            f"in {time.perf_counter() - t:.1f} s"
        )

        result, workflow_s = asyncio.run(run_month_end(url, period, args.page_size))
        print(
            f"month-end run (workflow + activities, {args.page_size} customers/page): "
            f"{workflow_s:.1f} s  -> {result.invoices_created:,} invoices, "
            f"{result.lines_invoiced:,} lines"
        )

        reset(engine)
        t = time.perf_counter()
        invoices, lines = baseline(engine, period)
        raw_s = time.perf_counter() - t
        print(f"baseline (one raw INSERT ... SELECT + link): {raw_s:.1f} s  -> "
              f"{invoices:,} invoices, {lines:,} lines")  # fmt: skip
        assert (invoices, lines) == (result.invoices_created, result.lines_invoiced)
        print(f"ratio run / baseline: {workflow_s / raw_s:.2f}x")
        engine.dispose()


if __name__ == "__main__":
    main()
