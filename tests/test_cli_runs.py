"""The runs CLI against the API served over real HTTP: a backfill picks the month that had
ended, the progress bar follows the run to its end, and the run is billed once."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import StringIO
from typing import Any

import httpx
from rich.console import Console
from rich.progress import Progress
from temporalio.client import Client

from billing.periods import Period
from starter.cli import runs as runs_cli
from tests.cli import billing
from tests.recurring import customer, invoices, provisioned_order, recurring_world


def next_month_first_day() -> date:
    today = datetime.now(UTC).date()
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)


async def test_month_end_backfill_from_the_cli_bills_the_month_that_had_ended(
    api: httpx.AsyncClient, temporal: Client, live_api_url: str
) -> None:
    w = await recurring_world(api)
    who = await customer(api, w, "A")
    await provisioned_order(
        api,
        temporal,
        w.id("O1"),
        w.issuer,
        who,
        [{"item_id": "e5", "offer_id": w.e5, "quantity": 2}],
    )
    as_of = next_month_first_day()
    period = str(Period.before(as_of))
    run_id = f"billing-run-{w.issuer}-{period}"

    code, output = await billing(
        live_api_url, "runs", "month-end", "--issuer", w.issuer, "--as-of", as_of.isoformat()
    )
    assert code == 0, output
    assert f"Started {run_id}" in output
    assert f"{run_id} completed: 1 invoice(s), 1 line(s)" in output
    [invoice] = await invoices(api, issuer_id=w.issuer, type="periodic")
    assert invoice["receiver_id"] == who and invoice["total"] == "60.00"

    code, output = await billing(live_api_url, "runs", "show", run_id)
    assert code == 0 and f"{run_id} completed: 1 invoice(s)" in output
    # Starting the same period again bills nothing new.
    code, output = await billing(
        live_api_url, "runs", "month-end", "--issuer", w.issuer, "--period", period
    )
    assert code == 0 and len(await invoices(api, issuer_id=w.issuer, type="periodic")) == 1


async def test_consolidation_backfill_from_the_cli(live_api_url: str) -> None:
    code, output = await billing(live_api_url, "runs", "consolidate", "--as-of", "2024-05-01")
    assert code == 0, output
    assert "consolidation-2024-05-01 completed" in output
    code, output = await billing(
        live_api_url,
        "runs",
        "month-end",
        "--issuer",
        "x",
        "--period",
        "2026-01",
        "--as-of",
        "2026-02-01",
    )
    assert code == 2 and "not both" in output


def test_the_progress_bar_follows_the_run_to_its_end() -> None:
    states: list[dict[str, Any]] = [
        {
            "run_id": "r",
            "status": s,
            "customers_total": 3,
            "customers_done": d,
            "invoices_created": 2 * d,
        }
        for s, d in (("running", 0), ("running", 2), ("completed", 3))
    ]
    fetched = iter(states)
    progress = Progress(console=Console(file=StringIO()))
    with progress:
        run = runs_cli.watch(lambda: next(fetched), progress, sleep=lambda _: None)
    [task] = progress.tasks
    assert (task.completed, task.total, run["status"]) == (3, 3, "completed")
    assert "6 invoice(s)" in task.description
