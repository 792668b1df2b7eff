"""`billing summaries ...`: consolidate invoices into summary invoices, watch their tax sync,
retry a TaxFailed one, download the tax invoice PDF."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from starter.cli.common import api, console, table

app = typer.Typer(no_args_is_help=True, help="Summary invoices and their tax sync.")


@app.command()
def create(
    issuer: str = typer.Option(..., help="The issuer whose outgoing invoices to consolidate."),
    invoice_ids: list[str] = typer.Argument(..., help="Ids of the invoices to consolidate."),
    invoice_date: str = typer.Option(..., "--date", help="Invoice date, YYYY-MM-DD."),
    wait: bool = typer.Option(True, help="Wait until the summary invoices are created."),
) -> None:
    """Create summary invoices: one per receiving customer of the selected invoices."""
    body = {"issuer_id": issuer, "invoice_ids": invoice_ids, "invoice_date": invoice_date}
    with api() as client:
        answer = client.post("/v1/summary-invoices", body)
        _added_and_skipped(f"Request {answer['request_id']}: ", answer, "added")
        if not wait:
            return
        path = f"/v1/summary-invoice-requests/{answer['request_id']}"
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
        ) as progress:
            status = client.get(path)
            task = progress.add_task(status["message"])
            while status["status"] != "complete":
                time.sleep(0.5)
                status = client.get(path)
            progress.update(task, description=status["message"])
        codes = [
            client.get(f"/v1/summary-invoices/{i}")["invoice_code"]
            for i in status["summary_invoice_ids"]
        ]
    console.print(f"Summary invoices: {', '.join(codes) or 'none'}")


@app.command()
def preview(
    issuer: str = typer.Option(..., help="The issuer whose outgoing invoices to consolidate."),
    invoice_ids: list[str] = typer.Argument(..., help="Ids of the invoices to consolidate."),
    invoice_date: str = typer.Option(..., "--date", help="Invoice date, YYYY-MM-DD."),
) -> None:
    """What `create` would add and skip, and why; writes nothing."""
    body = {"issuer_id": issuer, "invoice_ids": invoice_ids, "invoice_date": invoice_date}
    with api() as client:
        answer = client.post("/v1/summary-invoices/preview", body)
    _added_and_skipped("", answer, "would be added")


def _added_and_skipped(prefix: str, answer: dict[str, Any], added: str) -> None:
    console.print(
        f"{prefix}{answer['invoices_added']} invoice(s) {added}, "
        f"{len(answer['invoices_skipped'])} skipped."
    )
    for skipped in answer["invoices_skipped"]:
        console.print(f"  skipped {skipped['invoice_id']}: {skipped['detail']}")


@app.command("list")
def list_summaries(
    issuer: str | None = None,
    state: str | None = typer.Option(None, help="New, TaxInProgress, TaxCompleted, TaxFailed"),
) -> None:
    """List summary invoices with their tax-sync state and totals."""
    with api() as client:
        rows = [
            (
                s["invoice_code"],
                s["state"],
                s["receiver_id"],
                s["invoice_date"],
                "; ".join(
                    f"{t['currency']} {t['subtotal']} + {t['tax']} = {t['total']}"
                    for t in s["totals_by_currency"]
                ),
                s["reference_code"],
                s["id"],
            )
            for s in client.pages("/v1/summary-invoices", issuer_id=issuer, state=state)
        ]
    table(
        "Summary invoices",
        ["code", "state", "receiver", "date", "subtotal + tax = total", "reference", "id"],
        rows,
    )


@app.command()
def show(summary_invoice_id: str) -> None:
    """Show one summary invoice, and why its tax sync failed if it did."""
    with api() as client:
        s = client.get(f"/v1/summary-invoices/{summary_invoice_id}")
    console.print(
        f"[bold]{s['invoice_code']}[/bold] {s['state']} {s['issuer_id']} → {s['receiver_id']} "
        f"dated {s['invoice_date']}, reference {s['reference_code'] or '-'}"
    )
    if s["tax_failure_reason"]:
        console.print(f"[red]Tax sync failed:[/red] {s['tax_failure_reason']}")
    for t in s["totals_by_currency"]:
        console.print(f"  {t['currency']}: {t['subtotal']} + tax {t['tax']} = {t['total']}")


@app.command("retry-tax")
def retry_tax(summary_invoice_id: str) -> None:
    """Retry the tax sync of a TaxFailed summary invoice (the same tax document is adjusted)."""
    with api() as client:
        s = client.post(f"/v1/summary-invoices/{summary_invoice_id}/tax-sync/retry")
    console.print(f"Tax sync of {s['invoice_code']} restarted.")


@app.command()
def pdf(
    summary_invoice_id: str,
    output: Path = typer.Option(None, "--output", "-o", help="Where to write it."),
) -> None:
    """Download the tax invoice PDF of a TaxCompleted summary invoice."""
    with api() as client:
        content = client.get_bytes(f"/v1/summary-invoices/{summary_invoice_id}/pdf")
    target = output or Path(f"tax-invoice-{summary_invoice_id}.pdf")
    target.write_bytes(content)
    console.print(f"Wrote {target} ({len(content)} bytes).")
