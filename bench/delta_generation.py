"""Benchmark: pre-invoice generation against one raw set-based SQL statement.

    python3 dev.py bench delta_generation [--subscriptions 100000] [--page-size 500]
                                          [--parallel-pages 2]

Makes a fresh database (DATABASE_URL's server, else an embedded one) with an issuer on delta
invoicing, its legal entity and twelve monthly accounting periods, and `--subscriptions`
recurring subscriptions (ten per receiver) that each run through twelve months. Then, in the
same run:

1. the first generation as of the last day of the year (every month billed in full): the
   PreInvoiceRun workflow on a Temporal dev server, its activities on a worker, one
   transaction per page of receivers, `--parallel-pages` pages side by side (the worker's
   BILLING_PRE_INVOICE_PARALLEL_PAGES), writing delta lines and pre-invoices;
2. 1% of the subscriptions change quantity;
3. the second generation (only the differences);

and before each generation the baseline: one raw INSERT ... SELECT that computes the same
delta lines from scratch (should-be per month minus what is billed, and each line's sequence)
into a scratch table with the primary key (subscription, month, sequence) that refuses a delta
written twice, with no paging, no pre-invoices, no workflow. The generation writes more: the
lines with their invoice ids (indexed, to read a pre-invoice's lines), the pre-invoices with
their numbers and indexes, and per subscription the version it was billed at. The same
statement into a table without the key is timed too and printed for reference. A checkpoint
before and after each baseline keeps either side from paying for the other's writes. It checks
both find the same lines and amounts and prints the wall times and ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import date

from sqlalchemy import Engine, create_engine, text
from temporalio.testing import WorkflowEnvironment

from billing.contracts.pre_invoices import PreInvoiceRunInput, PreInvoiceRunResult
from billing.database import make_engine
from billing.settings import load_settings
from billing.store.pre_invoice_runs import reserve_run
from tests.databases import fresh_database
from tests.temporal_servers import engine_dev_server
from worker import build_worker
from workflows.pre_invoices import PreInvoiceRunWorkflow

ISSUER = "bench-delta-seller"
AS_OF = date(2026, 12, 31)
PER_RECEIVER = 10


def generate(engine: Engine, subscriptions: int) -> None:
    receivers = max(1, subscriptions // PER_RECEIVER)
    with engine.begin() as conn:
        conn.execute(
            text(
                f"""
                insert into partners (id, name, level, parent_id, currency,
                                      delta_invoicing_enabled_at)
                values ('bench-dist', 'Distributor', 'distributor', null, 'EUR', null),
                       ('{ISSUER}', 'Seller', 'seller', 'bench-dist', 'EUR', now());
                insert into legal_entities (id, issuer_id, name, active)
                values ('bench-le', '{ISSUER}', 'Seller GmbH', true);
                insert into accounting_periods (id, issuer_id, legal_entity_id, starts_on, ends_on)
                select 'bench-p' || m, '{ISSUER}', 'bench-le', make_date(2026, m, 1),
                       (make_date(2026, m, 1) + interval '1 month' - interval '1 day')::date
                from generate_series(1, 12) m;
                insert into vendors (id, name) values ('bench-msft', 'Microsoft');
                insert into offers (id, vendor_id, name, billing_type, unit_price, currency)
                values ('bench-e5', 'bench-msft', 'E5', 'recurring', 30.00, 'EUR')
                """
            )
        )
        conn.execute(
            text(
                """
                insert into partners (id, name, level, parent_id, currency)
                select 'dc' || lpad(g::text, 7, '0'), 'Customer ' || g, 'customer', :issuer, 'EUR'
                from generate_series(1, :receivers) g
                """
            ),
            {"issuer": ISSUER, "receivers": receivers},
        )
        for statement in (
            """
            insert into orders (order_number, issuer_id, customer_id, request_digest, status)
            select 'DO' || g, :issuer, 'dc' || lpad((1 + (g - 1) / :per)::text, 7, '0'),
                   'bench', 'completed'
            from generate_series(1, :subs) g
            """,
            """
            insert into order_items (order_number, item_id, position, offer_id, quantity,
                                     provisioning)
            select 'DO' || g, '1', 0, 'bench-e5', 1 + g % 5, 'succeeded'
            from generate_series(1, :subs) g
            """,
            """
            insert into subscriptions (issuer_id, customer_id, offer_id, order_number, item_id,
                                       quantity, starts_at, expires_at, perpetual, unit_price,
                                       billed_by_delta)
            select :issuer, 'dc' || lpad((1 + (g - 1) / :per)::text, 7, '0'), 'bench-e5',
                   'DO' || g, '1', 1 + g % 5,
                   timestamptz '2026-01-01 00:00+00' + make_interval(days => g % 28),
                   timestamptz '2027-01-01 00:00+00', false, 30.00, true
            from generate_series(1, :subs) g
            """,
        ):
            conn.execute(
                text(statement), {"issuer": ISSUER, "subs": subscriptions, "per": PER_RECEIVER}
            )
    with engine.connect() as conn:
        conn.execute(text("vacuum analyze"))


def change_one_percent(engine: Engine) -> int:
    with engine.begin() as conn:
        changed = conn.execute(
            text(
                "update subscriptions set quantity = quantity + 1 "
                "where issuer_id = :issuer and ('x' || substr(md5(id::text), 1, 8))::bit(32)::int % 100 = 0"
            ),
            {"issuer": ISSUER},
        ).rowcount
    with engine.connect() as conn:
        conn.execute(text("vacuum analyze"))
    return int(changed)


def baseline(engine: Engine, *, keyed: bool = True) -> tuple[float, int, str]:
    """The same delta lines from scratch in one raw statement: per subscription and month,
    should-be minus billed and the line's sequence, into a scratch table keyed like
    pre_invoice_lines (subscription, month, sequence), the one constraint a generation cannot
    do without (it is what refuses a delta written twice). No pre-invoices, no periods, no
    invoice ids, no index on them, no record of what was billed. Unkeyed: the same into a
    table without the key (the figure earlier versions of this benchmark compared with)."""
    key = ", primary key (subscription_id, month, sequence)" if keyed else ""
    with engine.begin() as conn:
        conn.execute(
            text(
                "create table bench_raw_deltas (subscription_id uuid, month date, "
                f"sequence int, amount numeric{key})"
            )
        )
        started = time.perf_counter()
        conn.execute(
            text(
                """
                insert into bench_raw_deltas
                with months as (
                    select s.id, s.quantity, s.unit_price,
                           (s.starts_at at time zone 'UTC')::date as starts_on,
                           (s.expires_at at time zone 'UTC')::date as ends_on,
                           m::date as month, (m + interval '1 month')::date as next_month
                    from subscriptions s,
                         generate_series(date_trunc('month', (s.starts_at at time zone 'UTC')),
                                         least((s.expires_at at time zone 'UTC')::date - 1,
                                               cast(:as_of as date))::timestamp,
                                         interval '1 month') m
                    where s.issuer_id = :issuer
                ),
                should as (
                    select id, month,
                           round(quantity * unit_price
                                 * (least(ends_on, next_month) - greatest(starts_on, month))
                                 / (next_month - month)::numeric, 2) as amount
                    from months
                ),
                billed as (
                    select subscription_id as id, period_start as month, sum(amount) as amount,
                           max(sequence) as sequence
                    from pre_invoice_lines group by 1, 2
                )
                select coalesce(s.id, b.id), coalesce(s.month, b.month),
                       coalesce(b.sequence, 0) + 1,
                       coalesce(s.amount, 0) - coalesce(b.amount, 0)
                from should s full join billed b on b.id = s.id and b.month = s.month
                where coalesce(s.amount, 0) - coalesce(b.amount, 0) <> 0
                -- In key order, as a generation writes its lines: the key's index fills leaf
                -- by leaf instead of at a random leaf per line.
                order by 1, 2
                """
            ),
            {"issuer": ISSUER, "as_of": AS_OF},
        )
        elapsed = time.perf_counter() - started
        count, total = conn.execute(
            text("select count(*), coalesce(sum(amount), 0) from bench_raw_deltas")
        ).one()
        # Gone before the generation runs: autovacuum would otherwise work on it meanwhile.
        conn.execute(text("drop table bench_raw_deltas"))
    return elapsed, int(count), str(total)


def settle(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("checkpoint"))


def written_since(engine: Engine, run_id: str) -> tuple[int, str]:
    with engine.connect() as conn:
        count, total = conn.execute(
            text(
                "select count(*), coalesce(sum(l.amount), 0) from pre_invoice_lines l "
                "join invoices i on i.id = l.invoice_id where i.pre_invoice_run_id = :run"
            ),
            {"run": run_id},
        ).one()
    return int(count), str(total)


async def generation(
    env: WorkflowEnvironment, engine: Engine, queue: str, page_size: int
) -> tuple[str, PreInvoiceRunResult, float]:
    with engine.begin() as conn:
        run_id = reserve_run(conn, ISSUER, AS_OF)
    started = time.perf_counter()
    result = await env.client.execute_workflow(
        PreInvoiceRunWorkflow.run,
        PreInvoiceRunInput(issuer_id=ISSUER, as_of=AS_OF, page_size=page_size),
        id=run_id,
        task_queue=queue,
    )
    return run_id, result, time.perf_counter() - started


async def measure(url: str, raw: Engine, page_size: int, parallel_pages: int) -> None:
    engine = make_engine(url, pool_size=8)
    env = await engine_dev_server()
    figures: dict[str, float] = {}
    async with env:
        queue = "bench-delta"
        async with build_worker(
            env.client,
            engine,
            task_queue=queue,
            max_concurrent_activities=8,
            pre_invoice_parallel_pages=parallel_pages,
            # As production workers run: sandboxed only if the environment asks.
            workflow_sandbox=load_settings().workflow_sandbox,
        ):
            for label, prepare in (("first", None), ("second", change_one_percent)):
                if prepare is not None:
                    print(f"changed the quantity of {prepare(raw):,} subscriptions")
                settle(raw)
                unkeyed_s = baseline(raw, keyed=False)[0]
                settle(raw)
                raw_s, raw_lines, raw_total = baseline(raw)
                # Neither side pays for writing out the other's dirty pages.
                settle(raw)
                print(f"{label} baseline without the key: {unkeyed_s:.2f} s")
                print(
                    f"{label} baseline (one raw INSERT ... SELECT of the deltas, keyed): "
                    f"{raw_s:.2f} s"
                    f"  -> {raw_lines:,} lines, {raw_total}"
                )
                run_id, result, run_s = await generation(env, engine, queue, page_size)
                lines, total = written_since(raw, run_id)
                print(
                    f"{label} generation (workflow + activities, {page_size} receivers/page, "
                    f"{parallel_pages} side by side): "
                    f"{run_s:.2f} s  -> {result.lines_written:,} lines in "
                    f"{result.pre_invoices_created:,} pre-invoices, {total}"
                )
                assert (lines, total) == (raw_lines, raw_total), (lines, total)
                assert lines == result.lines_written
                print(
                    f"{label} ratio generation / baseline: {run_s / raw_s:.2f}x "
                    f"(to the baseline without the key: {run_s / unkeyed_s:.2f}x)"
                )
                figures[label] = run_s
                with raw.connect() as conn:
                    conn.execute(text("vacuum analyze"))
    print(f"second generation / first: {figures['second'] / figures['first']:.0%}")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=500, help="receivers per transaction")
    parser.add_argument(
        "--parallel-pages", type=int, default=2, help="pages a worker writes side by side"
    )
    args = parser.parse_args()
    with fresh_database("billing_bench") as url:
        raw = create_engine(url, isolation_level="AUTOCOMMIT")
        t = time.perf_counter()
        generate(raw, args.subscriptions)
        print(
            f"generated {args.subscriptions:,} subscriptions x 12 months "
            f"({max(1, args.subscriptions // PER_RECEIVER):,} receivers) in "
            f"{time.perf_counter() - t:.1f} s"
        )
        asyncio.run(measure(url, raw, args.page_size, args.parallel_pages))
        raw.dispose()


if __name__ == "__main__":
    main()
