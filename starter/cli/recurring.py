"""`billing recurring ...`: configure billing days and credit terms, invoice grouping and
consolidation, and the grouping fields of subscriptions."""

from __future__ import annotations

from typing import Any

import typer

from starter.cli.common import api, console

app = typer.Typer(no_args_is_help=True, help="Billing days, grouping and consolidation settings.")


def _update_partner(partner_id: str, change: Any) -> dict[str, Any]:
    with api() as client:
        partner = client.get(f"/v1/partners/{partner_id}")
        partner.pop("id")
        change(partner)
        return dict(client.put(f"/v1/partners/{partner_id}", partner))


@app.command("billing-day")
def billing_day(
    customer: str,
    day: int | None = typer.Option(None, min=1, max=31, help="1-31; 31 is a month's last day."),
    clear: bool = typer.Option(False, help="Remove the billing day (no consolidation)."),
    renewal_order_days: int | None = typer.Option(None, help="N: renewal orders N days ahead."),
    overdue_days: int | None = typer.Option(None),
    bill_to: str | None = typer.Option(None, help="Default bill-to contact."),
    payment_term: str | None = typer.Option(None, help="due_upon_receipt, net_15 ... net_90"),
) -> None:
    """Set a customer's billing day, credit terms and grouping defaults."""

    def change(p: dict[str, Any]) -> None:
        if clear:
            p["billing_day"] = None
        elif day is not None:
            p["billing_day"] = day
        for key, value in (
            ("renewal_order_days", renewal_order_days),
            ("overdue_days", overdue_days),
            ("bill_to_contact", bill_to),
            ("payment_term", payment_term),
        ):
            if value is not None:
                p[key] = value

    p = _update_partner(customer, change)
    console.print(
        f"{customer}: billing day {p['billing_day'] or '-'}, renewal orders "
        f"{p['renewal_order_days']} days ahead, overdue after {p['overdue_days']} days, "
        f"bill to {p['bill_to_contact'] or '-'}, {p['payment_term']}."
    )


@app.command()
def grouping(issuer: str, key: str = typer.Argument(..., help="receiver or vendor")) -> None:
    """Set how an issuer's month-end run groups lines into invoices."""
    p = _update_partner(issuer, lambda p: p["settings"].update(grouping=key))
    console.print(f"{issuer} groups month-end invoices per {p['settings']['grouping']}.")


@app.command()
def consolidation(
    issuer: str,
    enabled: bool = typer.Option(True, "--enabled/--disabled"),
    days_before: int | None = typer.Option(None, help="M: days before the billing day."),
    include_overusage: bool | None = typer.Option(None, "--include-overusage/--exclude-overusage"),
    include_domain_ssl: bool | None = typer.Option(
        None, "--include-domain-ssl/--exclude-domain-ssl"
    ),
) -> None:
    """Configure an issuer's billing-day consolidation (refused when M is not within its
    customers' renewal-order and overdue periods)."""

    def change(p: dict[str, Any]) -> None:
        c = p["settings"]["consolidation"]
        c["enabled"] = enabled
        for key, value in (
            ("days_before_billing_day", days_before),
            ("include_overusage", include_overusage),
            ("include_domain_ssl_renewals", include_domain_ssl),
        ):
            if value is not None:
                c[key] = value

    c = _update_partner(issuer, change)["settings"]["consolidation"]
    console.print(f"{issuer} consolidation: {c}")


@app.command("subscription")
def subscription(
    subscription_id: str,
    group: str | None = typer.Option(None, help="Invoice group number."),
    bill_to: str | None = typer.Option(None),
    payment_term: str | None = typer.Option(None),
    ends_at: str | None = typer.Option(None, help="New end date (ISO 8601 with time zone)."),
) -> None:
    """Change a subscription's grouping fields or end date."""
    body = {
        key: value
        for key, value in (
            ("invoice_group_number", group),
            ("bill_to_contact", bill_to),
            ("payment_term", payment_term),
            ("ends_at", ends_at),
        )
        if value is not None
    }
    with api() as client:
        s = client.patch(f"/v1/subscriptions/{subscription_id}", body)
    console.print(
        f"{s['id']}: group {s['invoice_group_number'] or '-'}, bill to "
        f"{s['bill_to_contact'] or '(account)'}, {s['payment_term'] or '(account term)'}, "
        f"ends {s['ends_at']}."
    )
