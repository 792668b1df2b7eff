"""Many orders open and waiting: memory of the engine and of the Temporal server, submission rate
against bare starts, and how fast a report is answered meanwhile.

    python3 dev.py bench waiting_orders [--orders 1000] [--sizes 1,4,16] [--in-flight 20]
                                        [--server-store memory|file|wal] [--reports 200]

Submits 2-item orders through the real API (in-process ASGI, worker in the same process) until
`--orders` x each size are open, none of them reported, so every workflow waits. After each size
it prints this process's resident memory (API and worker), the dev server's, the p50/p99 of
`--reports` single-item reports one after another (each order stays waiting: one of two items)
against as many bare signals to waiting bare workflows, and the submission rate against bare
`start_workflow` calls of the same number of workflows in the same run.
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
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

from bench.baselines.order_workflow import BareOrderWorkflow, bare_bill
from bench.load.in_flight import in_flight
from bench.probes.latencies import p50_p99
from bench.probes.processes import cpu_now, cpu_per, dev_server_mb, resident_mb
from billing.database import make_engine
from starter.temporal_store import WRITE_AHEAD_LOG, sqlite_store_args, store_files
from tests.conftest import api_client, make_settings
from tests.databases import fresh_database
from tests.temporal_servers import engine_dev_server
from tests.world import build_world, report, submit
from worker import build_worker


def memory_now() -> dict[str, float]:
    """Resident MB of this process (API and worker) and of the dev server."""
    return {
        "engine": resident_mb(),
        "server": dev_server_mb(),
    }


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
    base: int,
    sizes: list[int],
    limit: int,
    store: Path | None,
    reports: int,
) -> None:
    settings = make_settings(url, f"bench-waiting-{uuid.uuid4().hex[:6]}")
    engine = make_engine(url, pool_size=16)
    bare_queue = f"bench-bare-waiting-{uuid.uuid4().hex[:6]}"
    async with (
        build_worker(
            client,
            engine,
            task_queue=settings.task_queue,
            workflow_sandbox=settings.workflow_sandbox,
        ),
        Worker(
            client,
            task_queue=bare_queue,
            workflows=[BareOrderWorkflow],
            activities=[bare_bill],
            activity_executor=ThreadPoolExecutor(2),
        ),
        api_client(settings, engine, client) as api,
    ):
        world = await build_world(api, uuid.uuid4().hex[:6])
        items = [("1", world.security, 1), ("2", world.data, 1)]
        submitted, reported = 0, 0
        first: dict[str, float] = {}
        for size in sizes:
            target = base * size
            count = target - submitted

            async def one(i: int, offset: int = submitted) -> None:
                await submit(
                    api, world.order_number(f"W{offset + i}"), world.seller, world.customer, items
                )

            before = cpu_now()
            ours = await paced(count, limit, one)
            ours_cpu = cpu_per(count, before)
            submitted = target
            # Reports before the bare starts: the bare worker shares this process, and the
            # first tasks of thousands of bare workflows would otherwise be what a report
            # waits behind.
            count_reports = min(reports, submitted - reported)

            async def report_one(i: int, offset: int = reported) -> None:
                number = world.order_number(f"W{offset + i}")
                (await report(api, number, "1", "succeeded")).raise_for_status()

            latencies = await timed(count_reports, report_one)
            before = cpu_now()
            bare = await bare_starts(client, submitted - count, count, limit, bare_queue)
            bare_cpu = cpu_per(count, before)

            # The substrate's own answer at this size: a signal that leaves a waiting bare
            # workflow waiting, as a report leaves its order waiting for its other item.
            async def signal_one(i: int, offset: int = reported) -> None:
                handle = client.get_workflow_handle(f"{bare_queue}-{offset + i}")
                await handle.signal(BareOrderWorkflow.reported, "1")

            signals = await timed(count_reports, signal_one)
            reported += count_reports
            figures = memory_now()
            first = first or figures
            print(
                f"{target:>8,} orders waiting: engine process {figures['engine']:6.0f} MB, "
                f"Temporal dev server {figures['server']:6.0f} MB{file_mb(store)}; report "
                f"{in_ms(latencies)} (bare signal {in_ms(signals)}); "
                f"submissions {ours:.1f}/s vs bare starts {bare:.1f}/s "
                f"(ratio {ours / bare:.2f}x)"
            )
            print(
                f"{'':>8} CPU per submission: {ours_cpu}; per bare start (its first workflow "
                f"task included): {bare_cpu}"
            )
        if len(sizes) > 1:
            last = memory_now()
            print(
                f"growth x{sizes[-1] / sizes[0]:g} orders: engine memory "
                f"x{last['engine'] / first['engine']:.2f}, server memory "
                f"x{last['server'] / max(first['server'], 1):.2f}"
            )
    engine.dispose()


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
        "--reports", type=int, default=200, help="reports (and bare signals) timed per size"
    )
    args = parser.parse_args()
    if args.reports < 1:
        parser.error("--reports must be at least 1")
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
                args.orders,
                [int(x) for x in args.sizes.split(",")],
                args.in_flight,
                store,
                args.reports,
            )


if __name__ == "__main__":
    asyncio.run(main())
