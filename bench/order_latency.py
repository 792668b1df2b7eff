"""Orders from last provisioning report to invoice, and orders per second, against bare Temporal.

    python3 dev.py bench order_latency [--orders 200] [--items 3] [--in-flight 1,10,50]
                                       [--modes per-item,batched] [--shapes in-process,processes]
                                       [--sizes 1,4,16]

Engine: each order (`--items` items) goes through the real API (in-process ASGI), the real
worker and activities, a Temporal dev server and PostgreSQL. Mode `per-item` posts one
provisioning report per item; mode `batched` posts all of an order's outcomes in one report
(`POST /v1/orders/{n}/provisioning`). The clock runs from just before the last report is posted
until the workflow has committed the invoice and completed.
Shape `in-process` runs the API (ASGI, no sockets) and the worker in this benchmark's process;
shape `processes` runs them as two OS processes of their own (uvicorn and `python -m worker`,
as docker-compose does) and drives the API over real HTTP on 127.0.0.1 with aiohttp, whose
client costs a fraction of httpx's per request: the order system is load, not the engine, and
on a machine shared with the engine every millisecond it spends is one the engine does not get.
CPU per order is printed for each process, the dev server's and PostgreSQL's (every local
`postgres` process, so only meaningful when the database is on this machine) included.
Baseline, measured in the same run on the same server at each level: a bare workflow of the
naive shape (start, one signal per item, one task-queue activity), no HTTP and no database,
clocked from the last signal to completion, on a worker with the SDK's defaults (sandboxed).
The engine's worker runs workflows as production does: `BILLING_WORKFLOW_SANDBOX`, off unless
set.
`--sizes 1,4,16` repeats each level at those multiples of `--orders` and prints how the wall
time, p99 and the resident memory of the engine's processes grow with the number of orders.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import aiohttp
import httpx
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.worker import Worker

from bench.baselines.order_workflow import BareOrderWorkflow, bare_bill
from bench.load.in_flight import in_flight
from bench.probes.latencies import p50_p99
from bench.probes.processes import (
    cpu_now,
    cpu_per,
    cpu_seconds,
    dev_server_cpu,
    processes_cpu,
    resident_mb,
)
from billing.database import make_engine
from billing.settings import load_settings
from tests.conftest import ADMIN_TOKEN, api_client, make_settings
from tests.databases import fresh_database
from tests.temporal_servers import engine_dev_server
from tests.world import billed, build_world, order_body
from worker import build_worker


def summarise(name: str, latencies: list[float], wall: float) -> dict[str, float]:
    p50, p99 = p50_p99(latencies)
    rate = len(latencies) / wall
    print(
        f"{name:<10} {len(latencies):>6} orders  p50 {p50 * 1000:7.1f} ms  p99 {p99 * 1000:7.1f} ms  {rate:6.1f} orders/s"
    )
    return {"p50": p50, "p99": p99, "rate": rate}


async def bare(client: Client, total: int, limit: int, items: int) -> tuple[list[float], float]:
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
    print(f"bare CPU per order: {cpu_per(total, before)}")
    return latencies, wall


CpuProbe = Callable[[], dict[str, float]]
# The order system's side of the API: POST a JSON body, get the status and the parsed answer.
Post = Callable[[str, dict[str, Any]], Awaitable[tuple[int, Any]]]


@asynccontextmanager
async def in_process(
    client: Client, url: str, task_queue: str
) -> AsyncIterator[tuple[httpx.AsyncClient, Post, CpuProbe, CpuProbe]]:
    settings = make_settings(url, task_queue)
    engine = make_engine(url, pool_size=16)
    try:
        async with (
            build_worker(
                client,
                engine,
                task_queue=settings.task_queue,
                # As the processes shape's worker: from the environment, as production.
                workflow_sandbox=load_settings().workflow_sandbox,
            ),
            api_client(settings, engine, client) as api,
        ):

            async def post(path: str, body: dict[str, Any]) -> tuple[int, Any]:
                response = await api.post(path, json=body)
                return response.status_code, response.json()

            yield (
                api,
                post,
                lambda: {"api+worker+client": time.process_time()},
                lambda: {"api+worker+client": resident_mb()},
            )
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def engine_processes(env: dict[str, str], api_port: int) -> Iterator[list[subprocess.Popen]]:
    """The API (uvicorn) and the worker as two processes, configured from the environment
    only, as the containers are."""
    api = [sys.executable, "-m", "uvicorn", "--factory", "starter.api.app:app"]
    commands = [
        [*api, "--host", "127.0.0.1", "--port", str(api_port), "--log-level", "warning"],
        [sys.executable, "-m", "worker"],
    ]
    children = [subprocess.Popen(command, env=env) for command in commands]
    try:
        yield children
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()


@asynccontextmanager
async def separate_processes(
    client: Client, url: str, task_queue: str
) -> AsyncIterator[tuple[httpx.AsyncClient, Post, CpuProbe, CpuProbe]]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TEMPORAL_ADDRESS": client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": client.namespace,
        "BILLING_TASK_QUEUE": task_queue,
        "BILLING_ADMIN_TOKEN": ADMIN_TOKEN,
        "WORKER_SDK_METRICS_PORT": "0",
        "WORKER_METRICS_PORT": "0",
        "LOG_LEVEL": "WARNING",
    }
    base_url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with engine_processes(env, port) as (api_process, worker_process):
        async with (
            httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as api,
            aiohttp.ClientSession(
                base_url,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=60),
                connector=aiohttp.TCPConnector(limit=200),
            ) as session,
        ):
            await until_healthy(api)
            await until_polled(client, task_queue)

            async def post(path: str, body: dict[str, Any]) -> tuple[int, Any]:
                async with session.post(path, json=body) as response:
                    return response.status, await response.json()

            yield (
                api,
                post,
                lambda: {
                    "api": cpu_seconds(api_process.pid),
                    "worker": cpu_seconds(worker_process.pid),
                    "client": time.process_time(),
                },
                lambda: {
                    "api": resident_mb(api_process.pid),
                    "worker": resident_mb(worker_process.pid),
                },
            )


async def until_healthy(api: httpx.AsyncClient) -> None:
    for _ in range(600):
        try:
            if (await api.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("the API process did not answer /healthz within a minute")


async def until_polled(client: Client, task_queue: str) -> None:
    """Wait for the worker process to poll, so its start-up is not counted in the first orders."""
    request = DescribeTaskQueueRequest(
        namespace=client.namespace, task_queue=TaskQueue(name=task_queue)
    )
    for _ in range(600):
        if (await client.workflow_service.describe_task_queue(request)).pollers:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"no worker polled task queue {task_queue!r} within a minute")


SHAPES = {"in-process": in_process, "processes": separate_processes}


async def engine_orders(
    client: Client, url: str, total: int, limit: int, items: int, mode: str, shape: str
) -> tuple[list[float], float, dict[str, float]]:
    """Latencies, wall time and the resident memory of the engine's processes at the end."""
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
        return latencies, wall, resident


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
        "--sizes", default="1", help="comma-separated multiples of --orders, e.g. 1,4,16"
    )
    args = parser.parse_args()
    levels = [int(x) for x in args.in_flight.split(",")]
    sizes = [int(x) for x in args.sizes.split(",")]
    modes = args.modes.split(",")
    shapes = args.shapes.split(",")
    unknown = set(shapes) - set(SHAPES)
    if unknown:
        parser.error(f"unknown shape {', '.join(sorted(unknown))}; choose from {', '.join(SHAPES)}")
    with fresh_database("billing_bench") as url:
        env = await engine_dev_server()
        async with env:
            print(
                f"{args.orders} orders of {args.items} items per level, dev server + PostgreSQL "
                f"on this machine, shapes: {', '.join(shapes)}"
            )
            for level in levels:
                growth: dict[str, dict[int, dict[str, float]]] = {}
                for size in sizes:
                    total = args.orders * size
                    print(f"-- {level} in flight, {total} orders")
                    latencies, wall = await bare(env.client, total, level, args.items)
                    base = summarise("bare", latencies, wall)
                    growth.setdefault("bare", {})[size] = {**base, "wall": wall}
                    for shape in shapes:
                        for mode in modes:
                            name = mode if shape == "in-process" else f"{mode}/{shape}"
                            latencies, wall, resident = await engine_orders(
                                env.client, url, total, level, args.items, mode, shape
                            )
                            ours = summarise(name, latencies, wall)
                            growth.setdefault(name, {})[size] = {
                                **ours,
                                "wall": wall,
                                "rss": sum(resident.values()),
                            }
                            print(
                                f"ratio {name}/bare at {level} in flight: p50 {ours['p50'] / base['p50']:.2f}x"
                                f"  p99 {ours['p99'] / base['p99']:.2f}x"
                                f"  throughput {ours['rate'] / base['rate']:.2f}x"
                            )
                if len(sizes) > 1:
                    print_growth(level, sizes, growth)


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
