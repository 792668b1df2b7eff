"""Re-record the workflow histories the replay tests use.

    python3 dev.py record-histories [SCENARIO ...]   (all of them by default)

Runs each recording scenario against real servers (a Temporal dev server or the time-skipping
server, and PostgreSQL from DATABASE_URL or an embedded one), then writes each finished
workflow's history to tests/histories/<name>.json. Re-record after an intended change to a
workflow's commands; never to make a failing replay pass without understanding why it failed.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from billing.database import make_engine
from billing.temporal.data_converter import DATA_CONVERTER
from billing.temporal.search_attributes import register_search_attributes
from starter.binaries import temporal_test_server
from tests.conftest import api_client, make_settings
from tests.databases import fresh_database
from worker import build_worker

HERE = Path(__file__).resolve().parent
TASK_QUEUE = "billing-record"


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
    from tests.histories import (
        delta_scenarios,
        order_scenarios,
        recurring_scenarios,
        summary_scenarios,
        webhook_scenarios,
    )

    return {
        **order_scenarios.SCENARIOS,
        **summary_scenarios.SCENARIOS,
        **recurring_scenarios.SCENARIOS,
        **delta_scenarios.SCENARIOS,
        **webhook_scenarios.SCENARIOS,
    }


async def main(names: list[str]) -> None:
    chosen = {name: s for name, s in scenarios().items() if not names or name in names}
    unknown = sorted(set(names) - chosen.keys())
    if unknown:
        raise SystemExit(f"unknown scenario(s) {unknown}; known: {sorted(scenarios())}")
    with fresh_database("billing_record") as url:
        engine = make_engine(url)
        env = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=temporal_test_server(), data_converter=DATA_CONVERTER
        )
        async with env:
            await register_search_attributes(env.client)
            settings = make_settings(url, TASK_QUEUE)
            async with (
                build_worker(env.client, engine, task_queue=settings.task_queue),
                api_client(settings, engine, env.client) as api,
            ):
                recorder = Recorder(api=api, env=env, engine=engine)
                for name, scenario in chosen.items():
                    print(f"scenario {name} ...")
                    await scenario(recorder)
        engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
