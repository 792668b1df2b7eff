"""What route handlers reach through `request.app.state`: the database and Temporal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from fastapi import Request
from sqlalchemy import Connection, Engine
from starlette.concurrency import run_in_threadpool
from temporalio.client import Client

from billing.settings import Settings

P = ParamSpec("P")
R = TypeVar("R")


class AppContext:
    def __init__(self, settings: Settings, engine: Engine, temporal: Client) -> None:
        self.settings = settings
        self.engine = engine
        self.temporal = temporal

    async def transaction(
        self, fn: Callable[Concatenate[Connection, P], R], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """Run a store function in one transaction on a worker thread: the store is synchronous
        SQLAlchemy, shared with the activities, and must not block the event loop."""

        def call() -> R:
            with self.engine.begin() as conn:
                return fn(conn, *args, **kwargs)

        return await run_in_threadpool(call)


# Dependencies are coroutines: FastAPI runs a plain function's in the thread pool, a hop that
# cost more than the lookup itself on every request.
async def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context
