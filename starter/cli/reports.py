"""`billing invoices ...` and `billing billings ...`: what has been invoiced and billed."""

from __future__ import annotations

from pathlib import Path

import typer

from starter.cli.common import api, console, table

invoices = typer.Typer(no_args_is_help=True, help="Invoices.")
billings = typer.Typer(no_args_is_help=True, help="Outgoing billing lines.")


@invoices.command("list")
def list_invoices(
    issuer: str | None = None, receiver: str | None = None, order: str | None = None
) -> None:
    """List invoices, optionally by issuer, receiver or order number."""
    with api() as client:
        rows = [
            (
                i["number"],
                i["type"],
                i["status"],
                i["receiver_id"],
                i["order_number"],
                i["currency"] or "several",
                i["total"] if i["total"] is not None else "see summary",
            )
            for i in client.pages(
                "/v1/invoices", issuer_id=issuer, receiver_id=receiver, order_number=order
            )
        ]
    table("Invoices", ["number", "type", "status", "receiver", "order", "currency", "total"], rows)


@invoices.command("pdf")
def invoice_pdf(
    invoice_id: str, out: str | None = typer.Option(None, help="File to write; invoice-<id>.pdf")
) -> None:
    """Save any invoice's PDF (a summary invoice's tax invoice)."""
    with api() as client:
        pdf = client.get_bytes(f"/v1/invoices/{invoice_id}/pdf")
    path = Path(out or f"invoice-{invoice_id}.pdf")
    path.write_bytes(pdf)
    console.print(f"Wrote {path} ({len(pdf)} bytes).")


@invoices.command("show")
def show_invoice(invoice_id: str) -> None:
    """Show one invoice with its lines."""
    with api() as client:
        invoice = client.get(f"/v1/invoices/{invoice_id}")
    console.print(
        f"[bold]{invoice['number']}[/bold] {invoice['status']} {invoice['issuer_id']} → "
        f"{invoice['receiver_id']} order {invoice['order_number'] or '-'}"
    )
    table(
        "Lines",
        ["item", "offer", "qty", "unit price", "amount"],
        [
            (x["item_id"], x["offer_id"], x["quantity"], x["unit_price"], x["amount"])
            for x in invoice["lines"]
        ],
    )
    if invoice["total"] is None:  # a summary invoice holding several currencies
        console.print(f"Several currencies: `billing summaries show {invoice['id']}` totals each.")
    else:
        console.print(f"Total {invoice['total']} {invoice['currency']}")


@billings.command("list")
def list_billings(
    issuer: str | None = None,
    search: str | None = typer.Option(None, "--search", "-q", help="Order number contains."),
    sort: str = typer.Option("created_at", help="order_number, -order_number, created_at"),
) -> None:
    """List outgoing billing lines with their order number and invoice frequency."""
    with api() as client:
        rows = [
            (
                b["order_number"],
                b["item_id"],
                b["receiver_id"],
                b["offer_id"],
                b["invoice_frequency"],
                b["amount"],
                b["currency"],
                b["invoice_id"],
            )
            for b in client.pages("/v1/billings", issuer_id=issuer, q=search, sort=sort)
        ]
    table(
        "Outgoing billings",
        ["order", "item", "receiver", "offer", "frequency", "amount", "currency", "invoice"],
        rows,
    )
