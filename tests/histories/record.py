"""Re-record the workflow histories the replay tests use.

    python3 dev.py record-histories

Runs each recording scenario against real servers (a Temporal dev server or the time-skipping
server, and PostgreSQL from DATABASE_URL or an embedded one), then writes each finished
workflow's history to tests/histories/<name>.json. Re-record after an intended change to a
workflow's commands; never to make a failing replay pass without understanding why it failed.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from billing.database import make_engine, sqlalchemy_url, start_embedded_postgres
from billing.migrate import upgrade
from starter.binaries import temporal_test_server
from starter.temporal import register_search_attributes
from tests.conftest import api_client, make_settings
from worker import build_worker

HERE = Path(__file__).resolve().parent


@dataclass
class Recorder:
    """What a recording scenario gets: the API and Temporal of a time-skipping environment."""

    api: httpx.AsyncClient
    env: WorkflowEnvironment
    engine: Engine

    @property
    def client(self) -> Client:
        return self.env.client

    async def save(self, name: str, workflow_id: str) -> None:
        handle = self.client.get_workflow_handle(workflow_id)
        await handle.result()
        history = await handle.fetch_history()
        (HERE / f"{name}.json").write_text(history.to_json())
        print(f"recorded {name}.json ({len(history.events)} events)")


Scenario = Callable[[Recorder], Awaitable[None]]


def scenarios() -> dict[str, Scenario]:
    from tests.histories import order_scenarios, summary_scenarios

    return {**order_scenarios.SCENARIOS, **summary_scenarios.SCENARIOS}


@asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    server = os.environ.get("DATABASE_URL") or start_embedded_postgres(
        Path(tempfile.mkdtemp(prefix="billing-record-")) / "pg"
    )
    name = f"billing_record_{uuid.uuid4().hex[:8]}"
    admin = create_engine(sqlalchemy_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'create database "{name}"'))
    url = make_url(sqlalchemy_url(server)).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()


async def main() -> None:
    async with fresh_database() as url:
        engine = make_engine(url)
        env = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=temporal_test_server(), data_converter=pydantic_data_converter
        )
        async with env:
            await register_search_attributes(env.client)
            settings = make_settings(url, "billing-record")
            async with (
                build_worker(env.client, engine, task_queue=settings.task_queue),
                api_client(settings, engine, env.client) as api,
            ):
                recorder = Recorder(api=api, env=env, engine=engine)
                for name, scenario in scenarios().items():
                    print(f"scenario {name} ...")
                    await scenario(recorder)
        engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
