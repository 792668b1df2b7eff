"""Benchmark: pages of the orders list, with the migrations' indexes on its keyset against the
same pages on the indexes the schema had before them.

    python3 dev.py bench orders_list [--orders 200000] [--waiting 0.1] [--requests 50]
                                     [--unindexed-requests 5]

Makes a fresh database (DATABASE_URL's server, else an embedded one) and `--orders` orders of
one seller, one item each, created a millisecond apart: the newest `--waiting` share of them
still waiting for provisioning, the rest completed. Times through the real API (in-process
ASGI): `GET /v1/orders` oldest first, newest first, the seller's and the customer's newest
first, and the tenth page oldest first (its cursor taken from the API); then order recovery's
page of waiting orders older than its cutoff, called as its activity calls it, at ten cursors
spread over a sweep (its first page to its last). Then it drops the keyset's indexes, restores
the indexes on issuer_id and customer_id alone, and times the same again. Prints p50/p99 of
each and the ratio indexed / unindexed.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import Engine, create_engine, text
from temporalio.testing import WorkflowEnvironment

from bench.month_end_run import CUSTOMER, ISSUER, reference_data_and_a_customer
from bench.probes.latencies import p50_p99
from billing.database import make_engine
from billing.store.orders import WAITING, list_orders
from starter.binaries import temporal_cli
from tests.conftest import api_client, make_settings
from tests.databases import fresh_database

# What the keyset's indexes replace: the index the schema had before them.
WITHOUT_KEYSET_INDEXES = """
    drop index ix_orders_created;
    drop index ix_orders_issuer_created;
    drop index ix_orders_customer_created;
    drop index ix_orders_waiting;
    create index ix_orders_issuer_id on orders (issuer_id);
    create index ix_orders_customer_id on orders (customer_id);
"""
RECOVERY_PAGE = 200


def generate(engine: Engine, orders: int, waiting: float) -> None:
    with engine.begin() as conn:
        reference_data_and_a_customer(conn)
        conn.execute(
            text(
                """
                insert into orders (order_number, issuer_id, customer_id, status,
                                    request_digest, created_at, completed_at)
                select 'PO-' || lpad(g::text, 8, '0'), :issuer, 'bench-customer',
                       case when g > :done then 'awaiting_provisioning' else 'completed' end,
                       'bench', now() - interval '1 day' + g * interval '1 ms',
                       case when g <= :done then now() end
                from generate_series(1, :orders) g
                """
            ),
            {"issuer": ISSUER, "orders": orders, "done": round(orders * (1 - waiting))},
        )
        conn.execute(
            text(
                """
                insert into order_items (order_number, item_id, position, offer_id, quantity,
                                         provisioning)
                select order_number, '1', 0, 'bench-e5', 1,
                       case when status = 'completed' then 'succeeded' else 'pending' end
                from orders
                """
            )
        )
    with engine.connect() as conn:
        conn.execute(text("vacuum analyze orders, order_items"))


async def tenth_page_cursor(api: httpx.AsyncClient) -> str:
    cursor = None
    for _ in range(9):
        params = {"limit": 50, **({"cursor": cursor} if cursor else {})}
        cursor = (await api.get("/v1/orders", params=params)).json()["next_cursor"]
    assert cursor, "fewer than ten pages of orders"
    return cursor


async def api_timings(
    api: httpx.AsyncClient, requests: int, cursor: str
) -> dict[str, tuple[float, float]]:
    plan: dict[str, dict[str, str]] = {
        "oldest first": {},
        "newest first": {"sort": "-created_at"},
        "seller's, newest": {"issuer_id": ISSUER, "sort": "-created_at"},
        "customer's, newest": {"customer_id": CUSTOMER, "sort": "-created_at"},
        "10th page, oldest": {"cursor": cursor},
    }
    result: dict[str, tuple[float, float]] = {}
    for name, params in plan.items():
        query = {"limit": "50", **params}
        (await api.get("/v1/orders", params=query)).raise_for_status()  # warm the plan
        samples = []
        for _ in range(requests):
            started = time.perf_counter()
            response = await api.get("/v1/orders", params=query)
            samples.append(time.perf_counter() - started)
            response.raise_for_status()
            assert len(response.json()["items"]) == 50, name
        result[name] = p50_p99(samples)
    return result


def recovery_cursors(engine: Engine, waiting: int) -> list[str | None]:
    """Ten cursors spread over a sweep of every waiting order: its first page to its last."""
    cutoff = datetime.now(UTC) - timedelta(minutes=5)
    pages = max(1, waiting // RECOVERY_PAGE)
    wanted = {round(i * (pages - 1) / 9) for i in range(10)}
    cursors: list[str | None] = []
    cursor = None
    with engine.begin() as conn:
        for page_number in range(pages):
            if page_number in wanted:
                cursors.append(cursor)
            page = list_orders(
                conn, status=WAITING, created_before=cutoff, cursor=cursor, limit=RECOVERY_PAGE
            )
            cursor = page.next_cursor
            if cursor is None:
                break
    return cursors


def recovery_timings(engine: Engine, cursors: list[str | None], rounds: int) -> tuple[float, ...]:
    """p50 and p99 over every page, and the fastest first and last page of the sweep."""
    cutoff = datetime.now(UTC) - timedelta(minutes=5)
    samples: list[list[float]] = [[] for _ in cursors]
    for _ in range(rounds):
        for i, cursor in enumerate(cursors):
            with engine.begin() as conn:  # one transaction per page, as the activity's
                started = time.perf_counter()
                list_orders(
                    conn, status=WAITING, created_before=cutoff, cursor=cursor, limit=RECOVERY_PAGE
                )
                samples[i].append(time.perf_counter() - started)
    every = [sample for per_cursor in samples for sample in per_cursor]
    return (*p50_p99(every), min(samples[0]), min(samples[-1]))


async def measure(
    url: str, waiting: int, requests: int, cursors: list[str | None] | None
) -> tuple[dict[str, tuple[float, float]], tuple[float, ...], list[str | None]]:
    engine = make_engine(url, pool_size=4)
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=temporal_cli())
    async with env, api_client(make_settings(url, "bench-orders"), engine, env.client) as api:
        cursor = await tenth_page_cursor(api)
        figures = await api_timings(api, requests, cursor)
    cursors = cursors if cursors is not None else recovery_cursors(engine, waiting)
    recovery = recovery_timings(engine, cursors, max(1, requests // 10))
    engine.dispose()
    return figures, recovery, cursors


def report(name: str, figures: dict[str, tuple[float, float]], recovery: tuple[float, ...]) -> None:
    for query, (p50, p99) in figures.items():
        print(f"{name:<10} {query:<20} p50 {p50 * 1000:8.1f} ms  p99 {p99 * 1000:8.1f} ms")
    p50, p99, first, last = recovery
    print(
        f"{name:<10} {'recovery page':<20} p50 {p50 * 1000:8.1f} ms  p99 {p99 * 1000:8.1f} ms"
        f"  (first page {first * 1000:.1f} ms, last {last * 1000:.1f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--waiting", type=float, default=0.1, help="share of orders waiting")
    parser.add_argument("--requests", type=int, default=50, help="requests per list")
    parser.add_argument(
        "--unindexed-requests", type=int, default=5, help="requests per list without the indexes"
    )
    args = parser.parse_args()
    with fresh_database(f"billing_bench_{uuid.uuid4().hex[:4]}") as url:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        started = time.perf_counter()
        generate(admin, args.orders, args.waiting)
        waiting = round(args.orders * args.waiting)
        print(
            f"generated {args.orders:,} orders, {waiting:,} of them waiting, "
            f"in {time.perf_counter() - started:.1f} s"
        )
        indexed, indexed_recovery, cursors = asyncio.run(measure(url, waiting, args.requests, None))
        with admin.begin() as conn:
            conn.execute(text(WITHOUT_KEYSET_INDEXES))
        with admin.connect() as conn:
            conn.execute(text("analyze orders"))
        unindexed, unindexed_recovery, _ = asyncio.run(
            measure(url, waiting, args.unindexed_requests, cursors)
        )
        admin.dispose()
    report("indexed", indexed, indexed_recovery)
    report("unindexed", unindexed, unindexed_recovery)
    for query in indexed:
        print(
            f"ratio indexed/unindexed {query:<20} p50 {indexed[query][0] / unindexed[query][0]:.2f}x"
            f"  p99 {indexed[query][1] / unindexed[query][1]:.2f}x"
        )
    print(
        f"ratio indexed/unindexed {'recovery page':<20} "
        f"p50 {indexed_recovery[0] / unindexed_recovery[0]:.2f}x"
        f"  p99 {indexed_recovery[1] / unindexed_recovery[1]:.2f}x"
    )


if __name__ == "__main__":
    main()
