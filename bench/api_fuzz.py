"""Fuzz the whole HTTP API with schemathesis, as a new user would, and count what it answers.

    python3 dev.py bench api_fuzz [--max-examples N] [--phases examples,coverage,fuzzing]

Starts a scratch database, a Temporal dev server, a worker and the API on a free loopback port,
builds a small world (distributor, sellers, customers, offers, an order), and runs the
schemathesis CLI over every operation twice: with the administrator's token and with a seller's
token. The API itself counts every response it sends, so the figures do not depend on what
schemathesis reports: requests, 5xx answers, and error answers that are not problem+json.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from billing.database import make_engine
from billing.settings import Settings
from starter.api.app import create_app
from starter.api.context import AppContext
from starter.binaries import temporal_cli
from tests.databases import fresh_database
from tests.world import build_world
from worker import build_worker
from workflows import search_attributes

ADMIN_TOKEN = "bench-admin-token"


class ResponseCounter:
    """ASGI middleware that tallies status codes and error answers that are not problem+json."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.statuses: Counter[int] = Counter()
        self.not_problem: Counter[str] = Counter()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = False

        async def counting_send(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                self.statuses[status] += 1
                headers = dict(message.get("headers") or [])
                content_type = headers.get(b"content-type", b"").decode()
                if status >= 400 and not content_type.startswith("application/problem+json"):
                    self.not_problem[f"{status} {scope['method']} {scope['path']}"] += 1
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        except Exception:
            if started:
                raise
            # Uvicorn answers a plain 500 for an exception that escapes the application.
            self.statuses[500] += 1
            self.not_problem[f"500 {scope['method']} {scope['path']} (escaped)"] += 1
            raise


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-examples", type=int, default=10)
    parser.add_argument("--phases", default="examples,coverage,fuzzing")
    args = parser.parse_args()
    reports = Path("bench/.api_fuzz")
    await asyncio.to_thread(reports.mkdir, parents=True, exist_ok=True)
    with fresh_database("billing_fuzz") as url:
        engine = make_engine(url, pool_size=8)
        task_queue = f"billing-fuzz-{uuid.uuid4().hex[:6]}"
        settings = Settings.model_validate(
            {
                "DATABASE_URL": url,
                "BILLING_TASK_QUEUE": task_queue,
                "BILLING_ADMIN_TOKEN": ADMIN_TOKEN,
            }
        )
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=temporal_cli(),
            search_attributes=search_attributes.ALL,
            data_converter=pydantic_data_converter,
        )
        async with env, build_worker(env.client, engine, task_queue=task_queue):
            counter = ResponseCounter(create_app(AppContext(settings, engine, env.client)))
            server = uvicorn.Server(
                uvicorn.Config(counter, host="127.0.0.1", port=0, log_level="critical")
            )
            serving = asyncio.create_task(server.serve())
            while not server.started:  # noqa: ASYNC110 - uvicorn has no "started" event
                await asyncio.sleep(0.02)
            base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
            async with httpx.AsyncClient(
                base_url=base, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30
            ) as api:
                world = await build_world(api, uuid.uuid4().hex[:8])
                issued = await api.post(
                    f"/v1/partners/{world.seller}/tokens", json={"label": "fuzz"}
                )
                partner_token = issued.json()["token"]
            results = {}
            for who, token in (("admin", ADMIN_TOKEN), ("seller", partner_token)):
                before = sum(counter.statuses.values())
                five = sum(n for s, n in counter.statuses.items() if s >= 500)
                plain = sum(counter.not_problem.values())
                command = [
                    str(Path(sys.executable).parent / "schemathesis"),
                    "run",
                    f"{base}/openapi.json",
                    "--header",
                    f"Authorization: Bearer {token}",
                    "--max-examples",
                    str(args.max_examples),
                    "--phases",
                    args.phases,
                    "--checks",
                    "all",
                    "--workers",
                    "2",
                    "--continue-on-failure",
                    "--no-color",
                ]
                log = reports / f"{who}.log"
                with log.open("w") as out:
                    code = await asyncio.to_thread(
                        subprocess.call, command, stdout=out, stderr=subprocess.STDOUT
                    )
                results[who] = (
                    sum(counter.statuses.values()) - before,
                    sum(n for s, n in counter.statuses.items() if s >= 500) - five,
                    sum(counter.not_problem.values()) - plain,
                    code,
                    log,
                )
            server.should_exit = True
            await serving
        engine.dispose()
    print(f"schemathesis, {args.max_examples} examples per operation, phases {args.phases}")
    for who, (requests, errors5xx, not_problem, code, log) in results.items():
        print(
            f"  {who:6} token: {requests} requests, {errors5xx} answered 5xx, "
            f"{not_problem} errors not problem+json (schemathesis exit {code}, log {log})"
        )
    print("  statuses:", dict(sorted(counter.statuses.items())))
    for key, n in counter.not_problem.most_common(25):
        print(f"    {n:5}  {key}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
