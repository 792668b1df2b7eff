"""Benchmark: searching and sorting one issuer's billing lines through the API, with the
migrations' indexes against the same queries on the indexes the schema had before them.

    python3 dev.py bench billings_search [--lines 1000000] [--requests 100]
                                         [--unindexed-requests 10]

Makes a fresh database (DATABASE_URL's server, else an embedded one), generates `--lines`
outgoing lines of one issuer (two lines per order, order numbers `PO-0000001`, ...), and times
`GET /v1/billings` through the real API (in-process ASGI) for: a substring of order numbers
(`q=0042`), an exact order number, `sort=-order_number` alone, and the default page (newest
last, as the console shows it). Then it drops the search indexes, restores the plain
(issuer, order number) btree that was there before them, and times the same requests again.
Prints p50/p99 of each and the ratio indexed / unindexed.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

import httpx
from sqlalchemy import Engine, create_engine, text
from temporalio.testing import WorkflowEnvironment

from bench.month_end_run import ISSUER, reference_data_and_a_customer
from bench.probes.latencies import p50_p99
from billing.database import make_engine
from starter.binaries import temporal_cli
from tests.conftest import api_client, make_settings
from tests.databases import fresh_database

# What the indexes replace: the btree the schema had before search and sort got their own.
WITHOUT_SEARCH_INDEXES = """
    drop index ix_billing_lines_order_number_trgm;
    drop index ix_billing_lines_issuer_order_key;
    drop index ix_billing_lines_issuer_created;
    create index ix_billing_lines_issuer_order on billing_lines (issuer_id, order_number);
"""


def generate(engine: Engine, lines: int) -> None:
    with engine.begin() as conn:
        reference_data_and_a_customer(conn)
        conn.execute(
            text(
                """
                insert into billing_lines (charge_key, issuer_id, receiver_id, vendor_id, offer_id,
                                           order_number, item_id, quantity, unit_price, amount,
                                           currency, invoice_frequency, created_at)
                select 'bench:' || g, :issuer, 'bench-customer', 'bench-msft', 'bench-e5',
                       'PO-' || lpad((1 + g / 2)::text, 7, '0'), (g % 2)::text, 1, 30.00, 30.00,
                       'EUR', 'monthly', now() - make_interval(secs => :lines - g)
                from generate_series(0, :lines - 1) g
                """
            ),
            {"issuer": ISSUER, "lines": lines},
        )
    with engine.connect() as conn:
        conn.execute(text("vacuum analyze billing_lines"))


def queries(lines: int, requests: int) -> dict[str, list[dict[str, str]]]:
    orders = max(1, lines // 2)
    # Spread over the order numbers so no single cached page answers every request.
    exact = [f"PO-{1 + (i * 7919) % orders:07d}" for i in range(requests)]
    substrings = [f"{(42 + i * 97) % 10_000:04d}" for i in range(requests)]
    base = {"issuer_id": ISSUER}
    return {
        "q=<4 digits>": [{**base, "q": s} for s in substrings],
        "q=<order number>": [{**base, "q": n} for n in exact],
        "sort=-order_number": [{**base, "sort": "-order_number"} for _ in range(requests)],
        "default page": [dict(base) for _ in range(requests)],
    }


async def timings(
    api: httpx.AsyncClient, plan: dict[str, list[dict[str, str]]]
) -> dict[str, tuple[float, float]]:
    result: dict[str, tuple[float, float]] = {}
    for name, requests in plan.items():
        (await api.get("/v1/billings", params=requests[0])).raise_for_status()  # warm the plan
        samples = []
        for params in requests:
            started = time.perf_counter()
            response = await api.get("/v1/billings", params=params)
            samples.append(time.perf_counter() - started)
            response.raise_for_status()
            if name == "q=<order number>":
                assert response.json()["items"], params
        result[name] = p50_p99(samples)
    return result


async def measure(
    url: str, plan: dict[str, list[dict[str, str]]]
) -> dict[str, tuple[float, float]]:
    engine = make_engine(url, pool_size=4)
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=temporal_cli())
    async with env, api_client(make_settings(url, "bench-search"), engine, env.client) as api:
        outcome = await timings(api, plan)
    engine.dispose()
    return outcome


def report(name: str, figures: dict[str, tuple[float, float]]) -> None:
    for query, (p50, p99) in figures.items():
        print(f"{name:<10} {query:<20} p50 {p50 * 1000:8.1f} ms  p99 {p99 * 1000:8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100, help="requests per query")
    parser.add_argument(
        "--unindexed-requests",
        type=int,
        default=10,
        help="requests per query without the indexes (the first of the same requests)",
    )
    args = parser.parse_args()
    with fresh_database(f"billing_bench_{uuid.uuid4().hex[:4]}") as url:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        started = time.perf_counter()
        generate(admin, args.lines)
        print(
            f"generated {args.lines:,} lines of one issuer in {time.perf_counter() - started:.1f} s"
        )
        plan = queries(args.lines, args.requests)
        indexed = asyncio.run(measure(url, plan))
        with admin.begin() as conn:
            conn.execute(text(WITHOUT_SEARCH_INDEXES))
        with admin.connect() as conn:
            conn.execute(text("analyze billing_lines"))
        unindexed = asyncio.run(
            measure(url, {name: r[: args.unindexed_requests] for name, r in plan.items()})
        )
        admin.dispose()
    report("indexed", indexed)
    report("unindexed", unindexed)
    for query in plan:
        print(
            f"ratio indexed/unindexed {query:<20} p50 {indexed[query][0] / unindexed[query][0]:.2f}x"
            f"  p99 {indexed[query][1] / unindexed[query][1]:.2f}x"
        )


if __name__ == "__main__":
    main()
