"""Benchmark: a month-end run over many customers against one raw INSERT ... SELECT.

    python3 dev.py bench month_end_run [--customers 100000] [--lines 10] [--page-size 500]
                                       [--parallel-pages 2] [--sizes 1,4,16]

Makes a fresh database (DATABASE_URL's server, else an embedded one), generates the customers
and their uninvoiced monthly lines with set-based SQL, then measures:

1. the real month-end run: BillingRun workflow on a Temporal dev server, its activities on a
   worker, paging through customers, one transaction per page, `--parallel-pages` pages side
   by side (BILLING_RUN_PARALLEL_PAGES);
2. the floor: the same lines grouped into the same invoices by one raw INSERT ... SELECT + link
   in one transaction (no paging, no workflow, no resumability), on copies of the two tables
   that carry only what the engine cannot do without: primary keys, the line's business key,
   the invoice's number and run-group keys, the line-to-invoice foreign key and the index that
   finds an invoice's lines;
3. the same statement on the engine's own tables, with every index and foreign key.

and prints the wall times and the ratio run / floor. `--sizes 1,4,16` repeats it at those
multiples of `--customers` and prints how time and this process's peak memory grow.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, create_engine, text

from billing.contracts.billing_runs import BillingRunInput, RunResult
from billing.database import make_engine
from billing.periods import Period
from billing.settings import load_settings
from billing.store.ascending_ids import ascending_uuid_sql
from billing.store.month_end import run_key_sql
from billing.store.run_invoicing import number_sql, payment_term_days_sql
from billing.vocabulary import InvoiceGrouping
from tests.databases import fresh_database
from tests.temporal_servers import engine_dev_server
from worker import build_worker
from workflows.billing_runs import BillingRunWorkflow, billing_run_id

ISSUER = "bench-seller"


# The seller and what it sells; shared by the benchmarks that generate billing lines.
REFERENCE_DATA = f"""
    insert into partners (id, name, level, parent_id, currency)
    values ('bench-dist', 'Distributor', 'distributor', null, 'EUR'),
           ('{ISSUER}', 'Seller', 'seller', 'bench-dist', 'EUR');
    insert into vendors (id, name) values ('bench-msft', 'Microsoft');
    insert into offers (id, vendor_id, name, billing_type, unit_price, currency)
    values ('bench-e5', 'bench-msft', 'E5', 'recurring', 30.00, 'EUR')
"""


def reference_data(conn: Connection) -> None:
    conn.execute(text(REFERENCE_DATA))


CUSTOMER = "bench-customer"


def reference_data_and_a_customer(conn: Connection) -> None:
    """The reference data and one customer of the seller, for the listings' benchmarks."""
    reference_data(conn)
    conn.execute(
        text(
            "insert into partners (id, name, level, parent_id, currency) "
            "values (:customer, 'Customer', 'customer', :issuer, 'EUR')"
        ),
        {"customer": CUSTOMER, "issuer": ISSUER},
    )


def generate(engine: Engine, customers: int, lines: int) -> None:
    """Customers with a bill-to and a payment term each; lines alternate between two invoice
    group numbers, so every customer gets two invoices."""
    with engine.begin() as conn:
        reference_data(conn)
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


# Copies of invoices and billing_lines with only the constraints the engine cannot do without;
# `like ... including defaults including constraints` brings defaults, identity and CHECKs only.
FLOOR_SCHEMA = f"""
    drop schema if exists floor cascade;
    create schema floor;
    create table floor.invoices (like public.invoices including defaults including constraints);
    alter table floor.invoices add primary key (id), add unique (issuer_id, number);
    create unique index on floor.invoices (issuer_id, type, period, grouping_key)
        where grouping_key is not null;
    create table floor.billing_lines
        (like public.billing_lines including defaults including identity including constraints);
    insert into floor.billing_lines overriding system value
        select * from public.billing_lines where issuer_id = '{ISSUER}';
    alter table floor.billing_lines add primary key (id), add unique (charge_key),
        add foreign key (invoice_id) references floor.invoices (id);
    create index on floor.billing_lines (invoice_id) where invoice_id is not null;
"""


def make_floor(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(FLOOR_SCHEMA)
    with engine.connect() as conn:
        conn.execute(text("vacuum analyze floor.invoices, floor.billing_lines"))


# Invoices numbered, and given ascending ids, in the order of their first line, as the run does.
FIRST_LINE_ORDER = "row_number() over (order by min(id))"


def baseline(engine: Engine, period: Period, *, schema: str = "public") -> tuple[int, int]:
    """The same grouping in one raw statement: no pages, no progress, no resumability."""
    key = run_key_sql(InvoiceGrouping.receiver)
    with engine.begin() as conn:
        # Unqualified names resolve to the floor's copies first; partners stay the engine's.
        # (A session setting: this engine autocommits, so `set local` would not last.)
        conn.execute(text(f"set search_path to {schema}, public"))
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
                    insert into invoices (id, number, type, status, issuer_id, receiver_id,
                                          currency, subtotal, total, bill_to_contact,
                                          payment_term, due_date, invoice_group_number, period,
                                          grouping_key)
                    select {ascending_uuid_sql(FIRST_LINE_ORDER)}, {number_sql(FIRST_LINE_ORDER)},
                           'periodic', 'verified', :issuer, receiver_id, currency, sum(amount), sum(amount),
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
        conn.execute(text("reset search_path"))
    return row.invoices, row.lines


async def run_month_end(
    url: str, period: Period, page_size: int, parallel_pages: int
) -> tuple[RunResult, float]:
    """Start the servers, then time the run alone: from start to result."""
    engine = make_engine(url, pool_size=8)
    env = await engine_dev_server()
    async with env:
        queue = "bench"
        async with build_worker(
            env.client,
            engine,
            task_queue=queue,
            max_concurrent_activities=8,
            run_parallel_pages=parallel_pages,
            # As production workers run: sandboxed only if the environment asks.
            workflow_sandbox=load_settings().workflow_sandbox,
        ):
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


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(customers: int, lines: int, page_size: int, parallel_pages: int) -> dict[str, float]:
    """One size: generate, run the engine, then the floor and the engine-schema statement."""
    with fresh_database("billing_bench") as url:
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        period = Period.containing(datetime.now(UTC).date())
        t = time.perf_counter()
        generate(engine, customers, lines)
        make_floor(engine)
        print(
            f"generated {customers:,} customers x {lines} lines in {time.perf_counter() - t:.1f} s"
        )

        result, workflow_s = asyncio.run(run_month_end(url, period, page_size, parallel_pages))
        print(
            f"month-end run (workflow + activities, {page_size} customers/page, "
            f"{parallel_pages} side by side): "
            f"{workflow_s:.1f} s  -> {result.invoices_created:,} invoices, "
            f"{result.lines_invoiced:,} lines"
        )
        made = (result.invoices_created, result.lines_invoiced)

        t = time.perf_counter()
        assert baseline(engine, period, schema="floor") == made
        floor_s = time.perf_counter() - t
        print(f"floor (one raw INSERT ... SELECT + link, lean tables): {floor_s:.1f} s")

        reset(engine)
        t = time.perf_counter()
        assert baseline(engine, period) == made
        full_s = time.perf_counter() - t
        print(f"same statement on the engine's tables (every index and key): {full_s:.1f} s")
        print(f"ratio run / floor: {workflow_s / floor_s:.2f}x  "
              f"(engine tables / floor: {full_s / floor_s:.2f}x)")  # fmt: skip
        engine.dispose()
    return {"run": workflow_s, "floor": floor_s, "full": full_s, "rss": peak_rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=10, help="lines per customer")
    parser.add_argument("--page-size", type=int, default=500, help="customers per transaction")
    parser.add_argument(
        "--parallel-pages", type=int, default=2, help="pages the worker writes side by side"
    )
    parser.add_argument(
        "--sizes", default="1", help="comma-separated multiples of --customers, e.g. 1,4,16"
    )
    args = parser.parse_args()

    sizes = [int(x) for x in args.sizes.split(",")]
    figures = {}
    for size in sizes:
        print(f"-- size {size}x: {args.customers * size:,} customers")
        figures[size] = measure(
            args.customers * size, args.lines, args.page_size, args.parallel_pages
        )
    if len(sizes) > 1:
        first = figures[sizes[0]]
        for size in sizes[1:]:
            f, work = figures[size], size / sizes[0]
            print(
                f"growth {size}x/{sizes[0]}x (work x{work:g}): run x{f['run'] / first['run']:.2f}"
                f"  floor x{f['floor'] / first['floor']:.2f}"
                f"  engine tables x{f['full'] / first['full']:.2f}"
                f"  peak RSS {first['rss']:.0f} -> {f['rss']:.0f} MB"
            )


if __name__ == "__main__":
    main()
