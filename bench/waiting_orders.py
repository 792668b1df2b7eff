"""Many orders open and waiting: memory of the engine and of the Temporal server, submission rate
against bare starts, and how fast a report is answered meanwhile.

    python3 dev.py bench waiting_orders [--orders 1000] [--sizes 1,4,16] [--in-flight 20]
                                        [--server-store memory|file|wal] [--reports 200]
                                        [--shape in-process|processes] [--batch 1]

Submits 2-item orders through the real API (`--batch` of them per request) until `--orders` x
each size are open, none of them reported, so every workflow waits. `--shape in-process` runs
the API (ASGI) and the worker in this process; `--shape processes` runs them as processes of
their own, driven over HTTP, as docker-compose runs them (bench/load/engine_shapes.py). After each size it prints the resident
memory of the engine (per process) and of the dev server, the p50/p99 of `--reports`
single-item reports one after another (each order stays waiting: one of two items) against as
many bare signals to waiting bare workflows, and the submission rate against bare
`start_workflow` calls of the same number of workflows in the same run; the next size waits
until the bare worker has run those workflows' first tasks. The bare workflows' worker and
client are this process in either shape.
`--server-store file` keeps the dev server's state in an SQLite file (its size is printed too)
instead of in its memory, with SQLite's defaults; `--server-store wal` keeps it in a file in
write-ahead-log mode, as `python3 dev.py start` runs it (starter/temporal_store.py).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.worker import Worker

from bench.baselines.order_workflow import BareOrderWorkflow, bare_bill
from bench.load.engine_shapes import SHAPES
from bench.load.in_flight import in_flight
from bench.probes.latencies import p50_p99
from bench.probes.processes import (
    cpu_now,
    cpu_per,
    dev_server_cpu,
    dev_server_mb,
    processes_cpu,
    settled,
)
from billing.contracts.order_recovery import OrderRecoveryInput
from billing.contracts.orders import MAX_ORDERS_PER_BATCH
from starter.temporal_store import WRITE_AHEAD_LOG, sqlite_store_args, store_files
from tests.databases import fresh_database
from tests.temporal_servers import engine_dev_server
from tests.world import build_world, order_body
from workflows.order import workflow_id
from workflows.order_recovery import OrderRecoveryWorkflow


async def paced(count: int, limit: int, one: Callable[[int], Awaitable[None]]) -> float:
    """Calls per second of `count` calls, `limit` in flight."""
    _, wall = await in_flight(count, limit, one)
    return count / wall


async def bare_starts(client: Client, start: int, count: int, limit: int, queue: str) -> float:
    async def one(i: int) -> None:
        await client.start_workflow(
            BareOrderWorkflow.run, args=[f"b{start + i}", 2], id=f"{queue}-{start + i}",
            task_queue=queue,
        )  # fmt: skip

    return await paced(count, limit, one)


async def recovery_sweep(client: Client, task_queue: str, waiting: int) -> tuple[float, str]:
    """Seconds order recovery takes to check every waiting order, as its schedule runs it, and
    what it took: its steps (activities) and the orders visibility left to describe."""
    t0 = time.perf_counter()
    handle = await client.start_workflow(
        OrderRecoveryWorkflow.run,
        OrderRecoveryInput(older_than=timedelta(0)),
        id=f"bench-recovery-{uuid.uuid4().hex[:6]}",
        task_queue=task_queue,
    )
    result = await handle.result()
    wall = time.perf_counter() - t0
    assert result.checked >= waiting and not result.restarted, result
    history = await handle.fetch_history()
    steps = sum(
        e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED for e in history.events
    )
    return wall, f"{steps} step(s), {result.described} order(s) described"


async def describe_each(client: Client, order_numbers: list[str]) -> float:
    """Seconds per describe of an order's workflow, one after another: the naive check."""
    t0 = time.perf_counter()
    for number in order_numbers:
        await client.get_workflow_handle(workflow_id(number)).describe()
    return (time.perf_counter() - t0) / len(order_numbers)


async def timed(count: int, one: Callable[[int], Awaitable[None]]) -> list[float]:
    """Seconds each of `count` calls took, one after another."""
    latencies = []
    for i in range(count):
        t0 = time.perf_counter()
        await one(i)
        latencies.append(time.perf_counter() - t0)
    return latencies


def in_ms(latencies: list[float]) -> str:
    p50, p99 = p50_p99(latencies)
    return f"p50 {p50 * 1000:.1f} ms p99 {p99 * 1000:.1f} ms"


def file_mb(store: Path | None) -> str:
    if store is None:
        return ""
    size = sum(f.stat().st_size for f in store_files(store))
    return f" (store on disk {size / 2**20:,.0f} MB)"


async def run(
    client: Client,
    url: str,
    shape: str,
    base: int,
    sizes: list[int],
    limit: int,
    store: Path | None,
    reports: int,
    batch: int,
) -> None:
    bare_queue = f"bench-bare-waiting-{uuid.uuid4().hex[:6]}"
    task_queue = f"bench-waiting-{uuid.uuid4().hex[:6]}"
    async with (
        SHAPES[shape](client, url, task_queue) as engine,
        Worker(
            client,
            task_queue=bare_queue,
            workflows=[BareOrderWorkflow],
            activities=[bare_bill],
            activity_executor=ThreadPoolExecutor(2),
        ),
    ):
        api, post, engine_cpu, engine_memory = engine
        world = await build_world(api, uuid.uuid4().hex[:6])
        items = [("1", world.security, 1), ("2", world.data, 1)]

        def probe() -> dict[str, float]:
            return {
                **engine_cpu(),
                "server": dev_server_cpu(),
                "PostgreSQL": processes_cpu("postgres"),
            }

        def memory_now() -> dict[str, float]:
            return {**engine_memory(), "server": dev_server_mb()}

        submitted, reported = 0, 0
        first: dict[str, float] = {}
        for size in sizes:
            target = base * size
            count = target - submitted

            def body(i: int) -> dict[str, Any]:
                number = world.order_number(f"W{i}")
                return order_body(number, world.seller, world.customer, items)

            async def one(j: int, offset: int = submitted, end: int = target) -> None:
                first_of_request = offset + j * batch
                if batch == 1:
                    status, answer = await post("/v1/orders", body(first_of_request))
                else:
                    numbers = range(first_of_request, min(first_of_request + batch, end))
                    batch_body = {"orders": [body(i) for i in numbers]}
                    status, answer = await post("/v1/orders/batch", batch_body)
                assert status == 202, (status, answer)

            before = probe()
            # `limit` orders in flight either way: with batches, fewer requests of more orders.
            requests = -(-count // batch)
            _, wall = await in_flight(requests, max(1, limit // batch), one)
            ours = count / wall
            after = probe()
            submitted = target
            # Reports before the bare starts: the bare worker shares this process, and the
            # first tasks of thousands of bare workflows would otherwise be what a report
            # waits behind.
            count_reports = min(reports, submitted - reported)

            async def report_one(i: int, offset: int = reported) -> None:
                number = world.order_number(f"W{offset + i}")
                path = f"/v1/orders/{number}/items/1/provisioning"
                status, answer = await post(path, {"outcome": "succeeded"})
                assert status == 200, (status, answer)

            latencies = await timed(count_reports, report_one)
            sweep, sweep_shape = await recovery_sweep(client, task_queue, submitted)
            described = await describe_each(
                client, [world.order_number(f"W{i}") for i in range(min(submitted, 1000))]
            )
            before_bare = cpu_now()
            bare = await bare_starts(client, submitted - count, count, limit, bare_queue)
            bare_settled = await settled()
            bare_cpu = cpu_per(count, before_bare)

            # The substrate's own answer at this size: a signal that leaves a waiting bare
            # workflow waiting, as a report leaves its order waiting for its other item.
            async def signal_one(i: int, offset: int = reported) -> None:
                handle = client.get_workflow_handle(f"{bare_queue}-{offset + i}")
                await handle.signal(BareOrderWorkflow.reported, "1")

            signals = await timed(count_reports, signal_one)
            reported += count_reports
            figures = memory_now()
            first = first or figures
            resident = ", ".join(f"{k} {mb:.0f} MB" for k, mb in figures.items())
            print(
                f"{target:>8,} orders waiting: resident {resident}{file_mb(store)}; report "
                f"{in_ms(latencies)} (bare signal {in_ms(signals)}); "
                f"submissions{f' in batches of {batch}' if batch > 1 else ''} {ours:.1f}/s vs "
                f"bare starts {bare:.1f}/s "
                f"(ratio {ours / bare:.2f}x)"
            )
            per_submission = ", ".join(
                f"{k} {(after[k] - before[k]) / count * 1000:.2f} ms" for k in after
            )
            print(
                f"{'':>8} order recovery over every waiting order: {sweep:.1f} s in {sweep_shape}, "
                f"{sweep / submitted * 1000:.2f} ms per order vs {described * 1000:.2f} ms "
                f"per describe (ratio {sweep / submitted / described:.2f}x)"
            )
            print(
                f"{'':>8} CPU per submission: {per_submission}; per bare start (its first "
                f"workflow task included, {bare_settled}; process is the benchmark's): "
                f"{bare_cpu}"
            )
        if len(sizes) > 1:
            last = memory_now()
            print(
                f"growth x{sizes[-1] / sizes[0]:g} orders: "
                + ", ".join(f"{k} memory x{last[k] / max(first[k], 1):.2f}" for k in last)
            )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=1000, help="orders at size 1")
    parser.add_argument("--sizes", default="1,4,16")
    parser.add_argument("--in-flight", type=int, default=20)
    parser.add_argument(
        "--server-store",
        choices=["memory", "file", "wal"],
        default="memory",
        help="the dev server's store: in memory (its default), an SQLite file on disk with "
        "SQLite's defaults, as a server with a database behind it keeps open workflows, or "
        "such a file in write-ahead-log mode",
    )
    parser.add_argument(
        "--shape",
        choices=sorted(SHAPES),
        default="in-process",
        help="in-process (API and worker in this process) or processes (each its own, driven "
        "over HTTP, as docker-compose runs them)",
    )
    parser.add_argument(
        "--reports", type=int, default=200, help="reports (and bare signals) timed per size"
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=1,
        help="orders per submission: 1 posts each to /v1/orders, more post them together to "
        f"/v1/orders/batch (at most {MAX_ORDERS_PER_BATCH})",
    )
    args = parser.parse_args()
    if args.reports < 1:
        parser.error("--reports must be at least 1")
    if not 1 <= args.batch <= MAX_ORDERS_PER_BATCH:
        parser.error(f"--batch must be from 1 to {MAX_ORDERS_PER_BATCH}")
    with fresh_database("billing_bench") as url, tempfile.TemporaryDirectory() as scratch:
        store = Path(scratch) / "temporal.db" if args.server_store != "memory" else None
        env = await engine_dev_server(
            []
            if store is None
            else sqlite_store_args(store, WRITE_AHEAD_LOG if args.server_store == "wal" else ())
        )
        async with env:
            await run(
                env.client,
                url,
                args.shape,
                args.orders,
                [int(x) for x in args.sizes.split(",")],
                args.in_flight,
                store,
                args.reports,
                args.batch,
            )


if __name__ == "__main__":
    asyncio.run(main())
