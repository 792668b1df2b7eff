"""`billing delta ...`, `billing periods ...`, `billing pre-invoices ...`: delta invoicing for
administrators: switch it on, close accounting periods, generate pre-invoices with a progress
bar, list them and list the generations."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import islice
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from starter.cli.common import api, console, table
from starter.cli.runs import watch

delta = typer.Typer(no_args_is_help=True, help="Delta invoicing of an issuer.")
periods = typer.Typer(no_args_is_help=True, help="Accounting periods of legal entities.")
pre_invoices = typer.Typer(no_args_is_help=True, help="Pre-invoices and their generations.")


@delta.command("enable")
def enable(issuer: str = typer.Argument(..., help="The issuer to switch on, for good.")) -> None:
    """Switch delta invoicing on (needs the DELTA_INVOICING licence, an active legal entity
    and an accounting period). It cannot be switched off again."""
    with api() as client:
        state = client.post(f"/v1/partners/{issuer}/delta-invoicing", {})
    console.print(f"Delta invoicing of {issuer} is on since {state['enabled_at']}.")


@periods.command("list")
def list_periods(issuer: str | None = typer.Option(None, help="Only this issuer's.")) -> None:
    """Accounting periods by legal entity and start."""
    with api() as client:
        rows = [
            (p["id"], p["issuer_id"], p["legal_entity_id"], p["starts_on"], p["ends_on"],
             "closed" if p["invoicing_closed"] else "open")
            for p in client.get("/v1/accounting-periods", issuer_id=issuer)["items"]
        ]  # fmt: skip
    table(
        "Accounting periods",
        ["id", "issuer", "legal entity", "starts", "ends", "invoicing"],
        rows,
    )


@periods.command("close")
def close_period(period_id: str) -> None:
    """Close a period for invoicing. Refused while open pre-invoices are assigned to it (the
    answer lists them: finalize them first)."""
    with api() as client:
        current = client.get(f"/v1/accounting-periods/{period_id}")
        body = {k: current[k] for k in ("issuer_id", "legal_entity_id", "starts_on", "ends_on")}
        client.put(f"/v1/accounting-periods/{period_id}", {**body, "invoicing_closed": True})
    console.print(f"Accounting period {period_id} is closed for invoicing.")


def _receivers(run: dict[str, Any]) -> tuple[int | None, int, str]:
    return (
        run["receivers_total"] or None,
        run["receivers_done"],
        f"{run['run_id']}: {run['lines_written']} line(s)",
    )


@pre_invoices.command("run")
def run(
    issuer: str = typer.Option(..., help="The issuer whose pre-invoices to generate."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Bill every month starting on or before this day (default today)."
    ),
    wait: bool = typer.Option(True, help="Watch the generation with a progress bar."),
) -> None:
    """Generate pre-invoices: only the differences to what each month already bills."""
    day = as_of or datetime.now(UTC).date().isoformat()
    with api() as client:
        run_id = client.post("/v1/pre-invoice-runs", {"issuer_id": issuer, "as_of": day})["run_id"]
        console.print(f"Started [bold]{run_id}[/bold].")
        if not wait:
            return
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("receivers"),
            TimeElapsedColumn(),
            console=console,
        )
        with progress:
            done = watch(
                lambda: client.get(f"/v1/pre-invoice-runs/{run_id}"), progress, shown=_receivers
            )
    console.print(
        f"{run_id} {done['status']}: {done['pre_invoices_created']} pre-invoice(s), "
        f"{done['lines_written']} line(s), {done['receivers_done']}/{done['receivers_total']} "
        "receivers."
    )
    if done["status"] != "completed":
        raise typer.Exit(1)


@pre_invoices.command("list")
def list_pre_invoices(issuer: str | None = None, receiver: str | None = None) -> None:
    """Pre-invoices with their accounting period, status and signed total."""
    with api() as client:
        rows = [
            (i["number"], i["issuer_id"], i["receiver_id"], i["accounting_period_id"] or "(none yet)",
             i["status"], len(i["lines"]), sum(1 for line in i["lines"] if line["delta"]),
             i["currency"], i["total"])
            for i in client.pages(
                "/v1/invoices", type="pre_invoice", issuer_id=issuer, receiver_id=receiver
            )
        ]  # fmt: skip
    table(
        "Pre-invoices",
        ["number", "issuer", "receiver", "period", "status", "lines", "differences", "currency",
         "total"],
        rows,
    )  # fmt: skip


def _moment(at: str | None) -> str:
    """To the second, in UTC as the API gives it: enough to tell generations apart."""
    return at[:19].replace("T", " ") if at else "—"


@pre_invoices.command("runs")
def list_runs(
    issuer: str | None = typer.Option(None, help="Only this issuer's generations."),
    status: str | None = typer.Option(None, help="running, completed or failed."),
    last: int = typer.Option(20, "--last", min=1, help="How many of the newest to show."),
) -> None:
    """Pre-invoice generations, newest first, with their progress and what they wrote."""
    with api() as client:
        found = client.pages(
            "/v1/pre-invoice-runs", issuer_id=issuer, status=status, limit=min(last, 500)
        )
        rows = [
            (r["run_id"], r["issuer_id"], r["as_of"], r["status"],
             f"{r['receivers_done']}/{r['receivers_total']}", r["pre_invoices_created"],
             r["lines_written"], _moment(r["started_at"]), _moment(r["finished_at"]))
            for r in islice(found, last)
        ]  # fmt: skip
    table(
        "Pre-invoice generations",
        ["run", "issuer", "as of", "status", "receivers", "pre-invoices", "lines", "started",
         "finished"],
        rows,
    )  # fmt: skip
