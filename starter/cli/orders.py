"""`billing orders ...`: find stuck orders, see what they wait for, record outcomes by hand."""

from __future__ import annotations

import getpass

import typer

from starter.cli.common import api, console, table

app = typer.Typer(no_args_is_help=True, help="Orders and their provisioning outcomes.")


@app.command()
def stuck(issuer: str | None = typer.Option(None, help="Only this issuer's orders.")) -> None:
    """List orders still waiting for provisioning outcomes past the stuck threshold."""
    with api() as client:
        rows = [
            (o["order_number"], o["customer_id"], o["stuck_since"], ", ".join(o["pending_items"]))
            for o in client.pages("/v1/orders", status="stuck", issuer_id=issuer)
        ]
    table("Stuck orders", ["order", "customer", "stuck since", "pending items"], rows)


@app.command()
def show(order_number: str) -> None:
    """Show an order, its items' outcomes and its invoice."""
    with api() as client:
        order = client.get(f"/v1/orders/{order_number}")
    console.print(
        f"[bold]{order['order_number']}[/bold] {order['status']} "
        f"({order['issuer_id']} → {order['customer_id']}) invoice: {order['invoice_id'] or '-'}"
    )
    table(
        "Items",
        ["item", "offer", "qty", "provisioning", "frequency", "reported by", "reason"],
        [
            (
                i["item_id"],
                i["offer_id"],
                i["quantity"],
                i["provisioning"],
                i["invoice_frequency"],
                i["reported_by"],
                i["reason"],
            )
            for i in order["items"]
        ],
    )


@app.command("record-outcome")
def record_outcome(
    order_number: str,
    item_id: str,
    outcome: str = typer.Option(..., help="succeeded or failed"),
    reason: str = typer.Option(..., help="Why you record it by hand; kept in the audit log."),
    operator: str = typer.Option(getpass.getuser(), help="Who records it."),
) -> None:
    """Record a pending item's outcome by hand (audited); the order then bills if complete."""
    with api() as client:
        order = client.post(
            f"/v1/orders/{order_number}/items/{item_id}/manual-outcome",
            {"outcome": outcome, "reason": reason, "operator": operator},
        )
    pending = ", ".join(order["pending_items"]) or "none"
    console.print(f"Recorded {outcome} for {item_id}. Still pending: {pending}.")


@app.command()
def pay(
    order_number: str,
    operator: str = typer.Option(getpass.getuser(), help="Who records the payment."),
    paid_at: str | None = typer.Option(None, help="ISO 8601 time with offset; now if absent."),
) -> None:
    """Record that an order was paid by hand (audited): billing-day consolidation leaves it
    out."""
    with api() as client:
        order = client.post(
            f"/v1/orders/{order_number}/manual-payment",
            {"operator": operator, **({"paid_at": paid_at} if paid_at else {})},
        )
    console.print(f"{order['order_number']} paid at {order['paid_at']} (recorded by {operator}).")
