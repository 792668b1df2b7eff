"""Orders from last provisioning report to invoice, and orders per second, against bare Temporal.

    python3 dev.py bench order_latency [--orders 200] [--items 3] [--in-flight 1,10,50]
                                       [--modes per-item,batched] [--shapes in-process,processes]
                                       [--sizes 1,4,16] [--rounds 3]

Engine: each order (`--items` items) goes through the real API (in-process ASGI), the real
worker and activities, a Temporal dev server and PostgreSQL. Mode `per-item` posts one
provisioning report per item; mode `batched` posts all of an order's outcomes in one report
(`POST /v1/orders/{n}/provisioning`). The clock runs from just before the last report is posted
until the workflow has committed the invoice and completed.
Shape `in-process` runs the API (ASGI, no sockets) and the worker in this benchmark's process;
shape `processes` runs them as two OS processes of their own, driven over real HTTP, as
docker-compose runs them (bench/load/engine_shapes.py).
CPU per order is printed for each process, the dev server's and PostgreSQL's (every local
`postgres` process, so only meaningful when the database is on this machine) included, and the
ratio line gives all of the engine's against all of bare's: on busy cores the throughput ratio
follows it, and it moves less between runs.
Baseline, measured in the same run on the same server at each level: a bare workflow of the
naive shape (start, one signal per item, one task-queue activity), no HTTP and no database,
clocked from the last signal to completion, on a worker with the SDK's defaults (sandboxed).
The engine's worker runs workflows as production does: `BILLING_WORKFLOW_SANDBOX`, off unless
set.
`--sizes 1,4,16` repeats each level at those multiples of `--orders` and prints how the wall
time, p99 and the resident memory of the engine's processes grow with the number of orders.
`--rounds 3` measures bare and the engine alternately three times at each level and size, and
then gives the ratios over all rounds together (every latency, wall times added): one run's
ratio moves by tens of percent with nothing changed, as the machine and the dev server's state
drift, and alternating spreads that drift over both sides.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from bench.baselines.order_workflow import BareOrderWorkflow, bare_bill
from bench.load.engine_shapes import SHAPES
from bench.load.in_flight import in_flight
from bench.probes.latencies import p50_p99
from bench.probes.processes import (
    cpu_now,
    cpu_since,
    cpu_text,
    dev_server_cpu,
    processes_cpu,
)
from tests.databases import fresh_database
from tests.temporal_servers import engine_dev_server
from tests.world import billed, build_world, order_body


def summarise(name: str, latencies: list[float], wall: float) -> dict[str, float]:
    p50, p99 = p50_p99(latencies)
    rate = len(latencies) / wall
    print(
        f"{name:<10} {len(latencies):>6} orders  p50 {p50 * 1000:7.1f} ms  p99 {p99 * 1000:7.1f} ms  {rate:6.1f} orders/s"
    )
    return {"p50": p50, "p99": p99, "rate": rate}


async def bare(
    client: Client, total: int, limit: int, items: int
) -> tuple[list[float], float, float]:
    """Latencies, wall time and CPU seconds per order, every process's together."""
    queue = f"bench-bare-{uuid.uuid4().hex[:6]}"
    before = cpu_now()

    async def one(i: int) -> float:
        handle = await client.start_workflow(
            BareOrderWorkflow.run, args=[f"b{i}", items], id=f"bare-{queue}-{i}", task_queue=queue
        )
        for item in range(1, items):
            await handle.signal(BareOrderWorkflow.reported, str(item))
        t0 = time.perf_counter()
        await handle.signal(BareOrderWorkflow.reported, str(items))
        await handle.result()
        return time.perf_counter() - t0

    async with Worker(
        client,
        task_queue=queue,
        workflows=[BareOrderWorkflow],
        activities=[bare_bill],
        activity_executor=ThreadPoolExecutor(16),
    ):
        latencies, wall = await in_flight(total, limit, one)
    # This process is the bare baseline's worker and client.
    spent = cpu_since(before)
    print(f"bare CPU per order: {cpu_text(spent, total)}")
    return latencies, wall, sum(spent.values()) / total


async def engine_orders(
    client: Client, url: str, total: int, limit: int, items: int, mode: str, shape: str
) -> tuple[list[float], float, dict[str, float], float]:
    """Latencies, wall time, the resident memory of the engine's processes at the end, and CPU
    seconds per order, every process's together (the dev server's and PostgreSQL's too)."""
    run = uuid.uuid4().hex[:6]
    async with SHAPES[shape](client, url, f"bench-orders-{run}") as (api, post, cpu, memory):
        world = await build_world(api, run)
        offers = [world.security, world.data]
        item_ids = [str(n) for n in range(1, items + 1)]

        async def accepted(path: str, body: dict[str, Any]) -> None:
            status, answer = await post(path, body)
            assert status in (200, 202), (status, answer)

        succeeded = {"outcome": "succeeded"}

        async def one(i: int) -> float:
            number = world.order_number(f"B{i}")
            lines = [(item, offers[n % 2], 1) for n, item in enumerate(item_ids)]
            await accepted("/v1/orders", order_body(number, world.seller, world.customer, lines))
            if mode == "batched":
                batch = {"items": [{"item_id": item, **succeeded} for item in item_ids]}
                t0 = time.perf_counter()
                await accepted(f"/v1/orders/{number}/provisioning", batch)
            else:
                for item in item_ids[:-1]:
                    await accepted(f"/v1/orders/{number}/items/{item}/provisioning", succeeded)
                t0 = time.perf_counter()
                await accepted(f"/v1/orders/{number}/items/{item_ids[-1]}/provisioning", succeeded)
            result = await billed(client, number)
            assert result.invoice_id is not None
            return time.perf_counter() - t0

        def probe() -> dict[str, float]:
            return {**cpu(), "server": dev_server_cpu(), "PostgreSQL": processes_cpu("postgres")}

        before = probe()
        latencies, wall = await in_flight(total, limit, one)
        after = probe()
        resident = memory()
        print(
            f"{mode if shape == 'in-process' else f'{mode}/{shape}'} CPU per order: "
            + ", ".join(f"{k} {(after[k] - before[k]) / total * 1000:.1f} ms" for k in after)
            + "; resident "
            + ", ".join(f"{k} {mb:.0f} MB" for k, mb in resident.items())
        )
        return latencies, wall, resident, sum(after[k] - before[k] for k in after) / total


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=200, help="orders per level and mode")
    parser.add_argument("--items", type=int, default=3, help="items per order")
    parser.add_argument("--in-flight", default="1,10,50", help="comma-separated levels")
    parser.add_argument("--modes", default="per-item,batched", help="per-item, batched or both")
    parser.add_argument(
        "--shapes",
        default="in-process",
        help="in-process (API and worker in this process), processes (each its own), or both",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure bare and the engine alternately this many times at each level and size, "
        "then give the ratios over all rounds together",
    )
    parser.add_argument(
        "--sizes", default="1", help="comma-separated multiples of --orders, e.g. 1,4,16"
    )
    args = parser.parse_args()
    levels = [int(x) for x in args.in_flight.split(",")]
    sizes = [int(x) for x in args.sizes.split(",")]
    modes = args.modes.split(",")
    shapes = args.shapes.split(",")
    unknown = set(shapes) - set(SHAPES)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if unknown:
        parser.error(f"unknown shape {', '.join(sorted(unknown))}; choose from {', '.join(SHAPES)}")
    with fresh_database("billing_bench") as url:
        env = await engine_dev_server()
        async with env:
            print(
                f"{args.orders} orders of {args.items} items per level, dev server + PostgreSQL "
                f"on this machine, shapes: {', '.join(shapes)}"
                + (f", {args.rounds} rounds each" if args.rounds > 1 else "")
            )
            runs = [
                (shape, mode, mode if shape == "in-process" else f"{mode}/{shape}")
                for shape in shapes
                for mode in modes
            ]
            for level in levels:
                growth: dict[str, dict[int, dict[str, float]]] = {}
                for size in sizes:
                    total = args.orders * size
                    print(f"-- {level} in flight, {total} orders")
                    pooled = await rounds_of(env.client, url, runs, total, level, args)
                    for name, measured in pooled.items():
                        growth.setdefault(name, {})[size] = {
                            "p99": p50_p99(measured.latencies)[1],
                            "wall": measured.wall,
                            **({"rss": measured.rss} if name != "bare" else {}),
                        }
                if len(sizes) > 1:
                    print_growth(level, sizes, growth)


async def rounds_of(
    client: Client,
    url: str,
    runs: list[tuple[str, str, str]],
    total: int,
    level: int,
    args: argparse.Namespace,
) -> dict[str, Measured]:
    """Bare and each (shape, mode, name) of the engine at one level, `args.rounds` times in
    turn; each round's ratios, then (over several rounds) the ratios of all rounds together."""
    rounds: dict[str, list[Measured]] = {name: [] for name in ["bare", *(r[2] for r in runs)]}
    for number in range(1, args.rounds + 1):
        if args.rounds > 1:
            print(f"round {number} of {args.rounds}")
        latencies, wall, bare_cpu = await bare(client, total, level, args.items)
        rounds["bare"].append(Measured(latencies, wall, bare_cpu, 0.0))
        base = summarise("bare", latencies, wall)
        for shape, mode, name in runs:
            latencies, wall, resident, cpu = await engine_orders(
                client, url, total, level, args.items, mode, shape
            )
            rounds[name].append(Measured(latencies, wall, cpu, sum(resident.values())))
            print_ratio(name, level, summarise(name, latencies, wall), base, cpu / bare_cpu)
    pooled = {name: pool(measured) for name, measured in rounds.items()}
    if args.rounds > 1:
        print(f"-- {level} in flight, {total} orders, all {args.rounds} rounds")
        base = summarise("bare", pooled["bare"].latencies, pooled["bare"].wall)
        for _shape, _mode, name in runs:
            ours = summarise(name, pooled[name].latencies, pooled[name].wall)
            cpu_ratio = pooled[name].cpu / pooled["bare"].cpu
            print_ratio(name, level, ours, base, cpu_ratio, rounds=args.rounds)
    return pooled


@dataclass
class Measured:
    """One measurement of a level: every order's latency, the wall time, CPU seconds per order
    of every process together, and the engine's resident memory at the end (0 for bare)."""

    latencies: list[float]
    wall: float
    cpu: float
    rss: float


def pool(rounds: list[Measured]) -> Measured:
    """Several rounds as one: latencies together, wall times added, CPU per order averaged, the
    largest resident memory."""
    return Measured(
        latencies=[latency for measured in rounds for latency in measured.latencies],
        wall=sum(measured.wall for measured in rounds),
        cpu=sum(measured.cpu for measured in rounds) / len(rounds),
        rss=max(measured.rss for measured in rounds),
    )


def print_ratio(
    name: str,
    level: int,
    ours: dict[str, float],
    base: dict[str, float],
    cpu_ratio: float,
    *,
    rounds: int = 1,
) -> None:
    over = f" over {rounds} rounds" if rounds > 1 else ""
    print(
        f"ratio {name}/bare at {level} in flight{over}: p50 {ours['p50'] / base['p50']:.2f}x"
        f"  p99 {ours['p99'] / base['p99']:.2f}x"
        f"  throughput {ours['rate'] / base['rate']:.2f}x"
        # Steadier than the rest from run to run: on busy cores it is what the throughput
        # ratio follows.
        f"  CPU per order {cpu_ratio:.2f}x"
    )


def print_growth(
    level: int, sizes: list[int], growth: dict[str, dict[int, dict[str, float]]]
) -> None:
    """How wall time, p99 and memory grow with the number of orders; linear is wall x4 for x4."""
    first = sizes[0]
    for name, figures in growth.items():
        steps = ", ".join(
            f"x{size / first:g} orders: wall x{figures[size]['wall'] / figures[first]['wall']:.2f}"
            f" p99 x{figures[size]['p99'] / figures[first]['p99']:.2f}"
            for size in sizes[1:]
        )
        memory = (
            " resident " + " -> ".join(f"{figures[size]['rss']:.0f}" for size in sizes) + " MB"
            if "rss" in figures[first]
            else ""
        )
        print(f"growth {name} at {level} in flight: {steps};{memory}")


if __name__ == "__main__":
    asyncio.run(main())
