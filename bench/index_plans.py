"""The query plans behind each billing_lines index: why each one the schema keeps is there.

    python3 dev.py bench index_plans [--customers 100000] [--lines 10]

Makes a fresh database (DATABASE_URL's server, else an embedded one) with `--customers` x
`--lines` monthly lines (every line with an order number), invoices half the customers, then
calls the store functions that read billing_lines (the API's billings page, search and sort, an
invoice's lines, the month-end run's paging and counts, the schedule's issuer list) and prints
the plan PostgreSQL chooses for every statement they send, then which index each used. An index
no statement uses is listed as unused. At tiny sizes the planner rightly prefers plain scans.
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text

from bench.month_end_run import ISSUER, baseline, generate
from billing.periods import Period
from billing.store import billings, invoices, month_end
from billing.vocabulary import InvoiceGrouping
from tests.databases import fresh_database


def prepare(engine: Engine, customers: int, lines: int, period: Period) -> str:
    """Lines with order numbers, half of them invoiced: a month half-way through its run."""
    generate(engine, customers, lines)
    with engine.begin() as conn:
        conn.execute(
            text("update billing_lines set order_number = 'PO-' || lpad(id::text, 8, '0')")
        )
    baseline(engine, period)
    half = f"c{1 + customers // 2:07d}"
    with engine.begin() as conn:
        conn.execute(
            text("update billing_lines set invoice_id = null where receiver_id >= :r"), {"r": half}
        )
        invoice_id = str(
            conn.execute(
                text("select invoice_id from billing_lines where invoice_id is not null limit 1")
            ).scalar_one()
        )
    with engine.connect() as conn:
        conn.execute(text("vacuum analyze"))
    return invoice_id


def readers(period: Period, invoice_id: str) -> dict[str, Callable[[Connection], Any]]:
    return {
        "billings page (default sort)": lambda c: billings.list_billing_lines(c, issuer_id=ISSUER),
        "billings sort=-order_number": lambda c: billings.list_billing_lines(
            c, issuer_id=ISSUER, sort="-order_number"
        ),
        "billings q=<digits>": lambda c: billings.list_billing_lines(c, issuer_id=ISSUER, q="0042"),
        "billings q=<order number>": lambda c: billings.list_billing_lines(
            c, issuer_id=ISSUER, q="PO-00000042"
        ),
        "an invoice and its lines": lambda c: invoices.get_invoice(c, invoice_id),
        "month-end progress total": lambda c: month_end.count_keys(
            c, ISSUER, InvoiceGrouping.receiver
        ),
        "month-end page (receivers)": lambda c: month_end.invoice_page(
            c, run_id="plans", issuer_id=ISSUER, period=period, cursor=None, page_size=500
        ),
        "month-end progress total (vendors)": lambda c: month_end.count_keys(
            c, ISSUER, InvoiceGrouping.vendor
        ),
        "month-end schedule's issuers": lambda c: month_end.issuers_with_monthly_lines(
            c, period, after=None, limit=100
        ),
    }


def captured(engine: Engine, read: Callable[[Connection], Any]) -> list[tuple[str, Any]]:
    """The statements `read` sends, in a transaction rolled back afterwards."""
    sent: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        with engine.connect() as conn, conn.begin() as tx:
            read(conn)
            tx.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    return [
        (s, p)
        for s, p in sent
        if "billing_lines" in s and re.match(r"\s*(select|create temp)", s, re.IGNORECASE)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=10)
    args = parser.parse_args()
    period = Period.containing(datetime.now(UTC).date())
    with fresh_database("billing_bench") as url:
        setup = create_engine(url, isolation_level="AUTOCOMMIT")
        invoice_id = prepare(setup, args.customers, args.lines, period)
        indexes = list(
            setup.connect()
            .execute(text("select indexname from pg_indexes where tablename = 'billing_lines'"))
            .scalars()
        )
        setup.dispose()
        engine = create_engine(url)
        used: dict[str, list[str]] = defaultdict(list)
        for name, read in readers(period, invoice_id).items():
            for statement, parameters in captured(engine, read):
                with engine.connect() as conn:
                    plan = conn.exec_driver_sql(
                        f"explain (costs off) {statement}", parameters
                    ).scalars()
                    lines = list(plan)
                    conn.rollback()
                print(f"== {name}\n" + "\n".join(lines) + "\n")
                for index in indexes:
                    if any(re.search(rf"\b{index}\b", line) for line in lines):
                        used[index].append(name)
        engine.dispose()
    for index in sorted(indexes):
        print(f"index {index}: {'; '.join(sorted(set(used[index]))) or 'unused by these reads'}")


if __name__ == "__main__":
    main()
