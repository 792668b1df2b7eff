"""Fuzzing the whole HTTP API with schemathesis, as a new user would: a private stack (its own
database, Temporal dev server, worker and API on a free loopback port, so generated runs and
partners never meet other tests' data), a small world to find, and a count of every response
the API sent, kept by the API itself so the figures do not depend on schemathesis' report."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from billing.database import make_engine
from billing.settings import Settings
from starter.api.app import create_app
from starter.api.context import AppContext
from tests.databases import fresh_database
from tests.temporal_servers import engine_dev_server
from tests.world import build_world
from worker import build_worker

ADMIN_TOKEN = "fuzz-admin-token"
PROBLEM_JSON = "application/problem+json"


@dataclass
class ResponseCounter:
    """ASGI middleware: tallies status codes and the error answers that are not problem+json."""

    app: Any
    statuses: Counter[int] = field(default_factory=Counter)
    not_problem: Counter[str] = field(default_factory=Counter)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def counting_send(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                self._count(scope, message["status"], dict(message.get("headers") or []))
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        except Exception:
            if not started:  # the server answers a plain-text 500 for it
                self._count(scope, 500, {})
            raise

    def _count(self, scope: Any, status: int, headers: dict[bytes, bytes]) -> None:
        self.statuses[status] += 1
        content_type = headers.get(b"content-type", b"").decode()
        if status >= 400 and not content_type.startswith(PROBLEM_JSON):
            self.not_problem[f"{status} {scope['method']} {scope['path']}"] += 1

    def snapshot(self) -> tuple[int, int, int]:
        """Requests, 5xx answers, error answers that are not problem+json, so far."""
        return (
            sum(self.statuses.values()),
            sum(n for status, n in self.statuses.items() if status >= 500),
            sum(self.not_problem.values()),
        )


@dataclass(frozen=True)
class FuzzStack:
    url: str
    tokens: dict[str, str]  # who -> bearer token
    counter: ResponseCounter


@asynccontextmanager
async def fuzz_stack() -> AsyncIterator[FuzzStack]:
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
        env = await engine_dev_server()
        try:
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
                        f"/v1/partners/{world.seller}/tokens",
                        json={"label": "fuzz", "scopes": ["read", "orders", "billing-admin"]},
                    )
                    issued.raise_for_status()
                try:
                    yield FuzzStack(
                        base, {"admin": ADMIN_TOKEN, "seller": issued.json()["token"]}, counter
                    )
                finally:
                    server.should_exit = True
                    await serving
        finally:
            engine.dispose()


async def run_schemathesis(
    stack: FuzzStack,
    token: str,
    *,
    max_examples: int,
    phases: str,
    checks: str,
    log: Path,
    seed: int | None = None,
) -> int:
    """The schemathesis CLI over every operation of the document, as a subprocess so this event
    loop keeps serving the API. Returns its exit code (0: every check held)."""
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{stack.url}/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        str(max_examples),
        "--phases",
        phases,
        "--checks",
        checks,
        # One worker: with two threads, Hypothesis' lambda descriptions call ast.parse
        # concurrently, which CPython 3.11 can fail with "AST constructor recursion depth
        # mismatch" (a SystemError in the fuzzer, not an answer of the API).
        "--workers",
        "1",
        "--continue-on-failure",
        "--no-color",
        *(["--seed", str(seed)] if seed is not None else []),
    ]
    with log.open("w") as out:
        process = await asyncio.create_subprocess_exec(*command, stdout=out, stderr=out)
        return await process.wait()
