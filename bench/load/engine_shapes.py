"""The engine as a benchmark drives it, in one of two shapes.

`in-process`: the API (ASGI, no sockets) and the worker in the benchmark's own process.
`processes`: the API (uvicorn) and the worker (`python -m worker`) as two OS processes configured
from the environment only, as docker-compose runs them, with the API driven over real HTTP on
127.0.0.1 by aiohttp. Its client costs a fraction of httpx's per request: the order system is
load, not the engine, and on a machine shared with the engine every millisecond it spends is one
the engine does not get.

Each shape yields an httpx client (for setting up reference data), a `Post` for the load itself,
and probes of the engine's CPU seconds so far and resident memory now, per process.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from typing import Any

import aiohttp
import httpx
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from bench.probes.processes import cpu_seconds, resident_mb
from billing.database import make_engine
from billing.settings import load_settings
from billing.temporal.schedules import ENGINE_SCHEDULES
from tests.conftest import ADMIN_TOKEN, api_client, make_settings
from worker import build_worker

CpuProbe = Callable[[], dict[str, float]]
# The order system's side of the API: POST a JSON body, get the status and the parsed answer.
Post = Callable[[str, dict[str, Any]], Awaitable[tuple[int, Any]]]
# Reference data through the httpx client, load through `Post`, CPU and memory probes.
Engine = tuple[httpx.AsyncClient, Post, CpuProbe, CpuProbe]


@asynccontextmanager
async def in_process(client: Client, url: str, task_queue: str) -> AsyncIterator[Engine]:
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
async def separate_processes(client: Client, url: str, task_queue: str) -> AsyncIterator[Engine]:
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
            await pause_schedules(client)

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


async def pause_schedules(client: Client) -> None:
    """The worker process creates the engine's schedules on start-up, as in production. They are
    paused here: an order-recovery sweep or a billing run that fired during a measurement (order
    recovery every quarter of an hour, on the clock) would be counted in it."""
    for schedule_id in ENGINE_SCHEDULES:
        await client.get_schedule_handle(schedule_id).pause(note="paused by a benchmark")


Shape = Callable[[Client, str, str], AbstractAsyncContextManager[Engine]]
SHAPES: dict[str, Shape] = {"in-process": in_process, "processes": separate_processes}
