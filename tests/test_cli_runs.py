"""The runs CLI: which period a backfill bills, and the progress bar following a run to its end.
The API is a recording stand-in here; the API itself is tested against real servers elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from rich.console import Console
from rich.progress import Progress
from typer.testing import CliRunner

from starter.cli import app
from starter.cli import runs as runs_cli


def run_state(done: int, status: str = "running") -> dict[str, Any]:
    return {
        "run_id": "billing-run-s1-2026-10",
        "status": status,
        "customers_total": 3,
        "customers_done": done,
        "invoices_created": done * 2,
        "lines_invoiced": done * 5,
        "renewal_orders_created": 0,
    }


class FakeApi:
    def __init__(self, states: list[dict[str, Any]]) -> None:
        self.states = states
        self.posted: list[tuple[str, dict[str, Any]]] = []
        self.fetched = 0

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        self.posted.append((path, body))
        return {"run_id": self.states[0]["run_id"]}

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        state = self.states[min(self.fetched, len(self.states) - 1)]
        self.fetched += 1
        return state


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeApi:
    fake = FakeApi([run_state(0), run_state(1), run_state(3, "completed")])

    @contextmanager
    def api() -> Iterator[FakeApi]:
        yield fake

    monkeypatch.setattr(runs_cli, "api", api)
    monkeypatch.setattr(runs_cli.time, "sleep", lambda _: None)
    return fake


def test_watch_moves_the_bar_until_the_run_ends() -> None:
    states = iter([run_state(0), run_state(2), run_state(3, "completed")])
    progress = Progress(console=Console(file=open("/dev/null", "w")))  # noqa: SIM115
    with progress:
        run = runs_cli.watch(lambda: next(states), progress, sleep=lambda _: None)
    [task] = progress.tasks
    assert (task.completed, task.total, run["status"]) == (3, 3, "completed")
    assert "6 invoice(s)" in task.description


def test_month_end_backfill_as_of_a_day_bills_the_month_that_had_ended(fake: FakeApi) -> None:
    result = CliRunner().invoke(
        app, ["runs", "month-end", "--issuer", "s1", "--as-of", "2026-11-03"]
    )
    assert result.exit_code == 0, result.output
    assert fake.posted == [("/v1/billing-runs", {"issuer_id": "s1", "period": "2026-10"})]
    assert fake.fetched == 3
    assert "completed: 6 invoice(s), 15 line(s)" in result.output


def test_consolidation_backfill_and_a_failed_run_exit_non_zero(fake: FakeApi) -> None:
    fake.states = [{**run_state(1, "failed"), "run_id": "consolidation-2026-11-01"}]
    result = CliRunner().invoke(app, ["runs", "consolidate", "--as-of", "2026-11-01"])
    assert result.exit_code == 1
    assert fake.posted == [("/v1/consolidation-runs", {"as_of": "2026-11-01"})]
