"""What route handlers reach through `request.app.state`: the database and Temporal."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Concatenate, ParamSpec, TypeVar

from fastapi import Request
from sqlalchemy import Connection, Engine
from temporalio.client import Client

from billing.settings import Settings

P = ParamSpec("P")
R = TypeVar("R")


class AppContext:
    def __init__(self, settings: Settings, engine: Engine, temporal: Client) -> None:
        self.settings = settings
        self.engine = engine
        self.temporal = temporal
        # A plain executor rather than Starlette's run_in_threadpool: anyio's hand-off to its
        # threads costs about twice the CPU per call, and every API request makes one or two.
        # As many threads as anyio's default limit allowed.
        self._threads = ThreadPoolExecutor(max_workers=40, thread_name_prefix="api-transaction")

    async def transaction(
        self, fn: Callable[Concatenate[Connection, P], R], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """Run a store function in one transaction on a worker thread: the store is synchronous
        SQLAlchemy, shared with the activities, and must not block the event loop."""

        def call() -> R:
            with self.engine.begin() as conn:
                return fn(conn, *args, **kwargs)

        # The request's log context (its id, its order number) goes along to the thread.
        run = contextvars.copy_context().run
        return await asyncio.get_running_loop().run_in_executor(self._threads, run, call)


# Dependencies are coroutines: FastAPI runs a plain function's in the thread pool, a hop that
# cost more than the lookup itself on every request.
async def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context
