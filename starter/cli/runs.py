"""`billing runs ...`: start (or backfill) month-end and consolidation runs and watch them with a
progress bar; list consolidated invoices."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from billing.periods import Period
from starter.cli.common import api, console, errors, table

app = typer.Typer(
    no_args_is_help=True, help="Month-end billing and billing-day consolidation runs."
)

FINISHED = {"completed", "failed"}


# What a progress bar shows of a run: how many to do (None: not known yet), how many done, and
# its description.
Shown = Callable[[dict[str, Any]], tuple[int | None, int, str]]


def _customers(run: dict[str, Any]) -> tuple[int | None, int, str]:
    return (
        run["customers_total"] or None,
        run["customers_done"],
        f"{run['run_id']}: {run['invoices_created']} invoice(s)",
    )


def watch(
    fetch: Callable[[], dict[str, Any]],
    progress: Progress,
    *,
    interval: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    shown: Shown = _customers,
) -> dict[str, Any]:
    """Poll a run until it finishes, moving a progress bar over its customers (or what
    `shown` counts)."""
    task = progress.add_task("starting", total=None)
    while True:
        run = fetch()
        total, completed, description = shown(run)
        progress.update(task, total=total, completed=completed, description=description)
        if run["status"] in FINISHED:
            return run
        sleep(interval)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("customers"),
        TimeElapsedColumn(),
        console=console,
    )


def _run_and_watch(start_path: str, body: dict[str, Any], show_path: str, wait: bool) -> None:
    with api() as client:
        run_id = client.post(start_path, body)["run_id"]
        console.print(f"Started [bold]{run_id}[/bold].")
        if not wait:
            return
        with _progress() as progress:
            run = watch(lambda: client.get(f"{show_path}/{run_id}"), progress)
    _summary(run)
    if run["status"] != "completed":
        raise typer.Exit(1)


def _summary(run: dict[str, Any]) -> None:
    console.print(
        f"{run['run_id']} {run['status']}: {run['invoices_created']} invoice(s), "
        f"{run['lines_invoiced']} line(s), {run['renewal_orders_created']} renewal order(s), "
        f"{run['customers_done']}/{run['customers_total']} customers."
    )


@app.command("month-end")
def month_end(
    issuer: str = typer.Option(..., help="The issuer to bill."),
    period: str | None = typer.Option(None, help="The month to bill, YYYY-MM."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Bill the month that had ended on this day (YYYY-MM-DD): a backfill."
    ),
    wait: bool = typer.Option(True, help="Watch the run with a progress bar until it ends."),
) -> None:
    """Invoice an issuer's uninvoiced monthly lines of a period (default: last month)."""
    if period and as_of:
        errors.print("Give --period or --as-of, not both.")
        raise typer.Exit(2)
    day = date.fromisoformat(as_of) if as_of else datetime.now(UTC).date()
    chosen = period or str(Period.before(day))
    _run_and_watch(
        "/v1/billing-runs", {"issuer_id": issuer, "period": chosen}, "/v1/billing-runs", wait
    )


@app.command()
def consolidate(
    as_of: str | None = typer.Option(
        None, "--as-of", help="The day the run stands on (YYYY-MM-DD; default today): a backfill."
    ),
    wait: bool = typer.Option(True, help="Watch the run with a progress bar until it ends."),
) -> None:
    """Make the renewal orders due and the consolidated invoices of customers whose billing day
    is M days after the day."""
    day = as_of or datetime.now(UTC).date().isoformat()
    _run_and_watch("/v1/consolidation-runs", {"as_of": day}, "/v1/consolidation-runs", wait)


@app.command()
def show(run_id: str) -> None:
    """Show a run (billing-run-... or consolidation-...)."""
    kind = "consolidation-runs" if run_id.startswith("consolidation-") else "billing-runs"
    with api() as client:
        _summary(client.get(f"/v1/{kind}/{run_id}"))


@app.command()
def consolidated(issuer: str | None = None, receiver: str | None = None) -> None:
    """List consolidated invoices with their billing day (due date)."""
    with api() as client:
        rows = [
            (i["number"], i["issuer_id"], i["receiver_id"], i["due_date"], i["bill_to_contact"],
             len(i["lines"]), i["currency"], i["total"])
            for i in client.pages(
                "/v1/invoices", type="consolidated", issuer_id=issuer, receiver_id=receiver
            )
        ]  # fmt: skip
    table(
        "Consolidated invoices",
        [
            "number",
            "issuer",
            "receiver",
            "due (billing day)",
            "bill to",
            "lines",
            "currency",
            "total",
        ],
        rows,
    )
