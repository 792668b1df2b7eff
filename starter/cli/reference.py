"""`billing partners|vendors|offers ...`: the reference data an administrator keeps, with the
settings the console shows (invoice per order, summary invoices, postal address, tax id, time
zone, locale). Partner API tokens are `billing tokens ...`."""

from __future__ import annotations

import json
from typing import Any

import typer

from starter.cli.common import api, console

partners = typer.Typer(no_args_is_help=True, help="Partners: distributors, sellers, customers.")
vendors = typer.Typer(no_args_is_help=True, help="Vendors and whether they invoice per order.")
offers = typer.Typer(no_args_is_help=True, help="Offers and their prices.")


def _show(body: dict[str, Any]) -> None:
    console.print_json(json.dumps(body))


def _given(**fields: Any) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


@partners.command("put")
def put_partner(
    partner_id: str,
    name: str = typer.Option(...),
    level: str = typer.Option(..., help="distributor, seller or customer"),
    parent: str | None = typer.Option(
        None, help="The partner that bills it (not for a distributor)."
    ),
    currency: str = typer.Option("EUR"),
    country: str | None = typer.Option(None, help="ISO 3166-1 alpha-2; summaries are taxed by it."),
    address: str | None = typer.Option(None, help=r"Postal address; separate lines with \n."),
    tax_id: str | None = typer.Option(None),
    time_zone: str = typer.Option("UTC", help="IANA time zone, e.g. Europe/Berlin."),
    locale: str = typer.Option("en_US", help="e.g. de_DE: how amounts and dates read."),
    invoice_per_order: bool = typer.Option(False),
    summary_invoices: bool = typer.Option(False, help="May consolidate summary invoices."),
    payment_term: str = typer.Option("due_upon_receipt"),
) -> None:
    """Create or replace a partner."""
    body = {
        "name": name,
        "level": level,
        "parent_id": parent,
        "currency": currency,
        "country": country,
        "postal_address": address.replace("\\n", "\n") if address else None,
        "tax_id": tax_id,
        "time_zone": time_zone,
        "locale": locale,
        "payment_term": payment_term,
        "settings": {"invoice_per_order": invoice_per_order, "summary_invoices": summary_invoices},
    }
    with api() as client:
        _show(client.put(f"/v1/partners/{partner_id}", body))


@partners.command("set")
def set_partner(
    partner_id: str,
    invoice_per_order: bool | None = typer.Option(
        None, "--invoice-per-order/--no-invoice-per-order"
    ),
    summary_invoices: bool | None = typer.Option(None, "--summary-invoices/--no-summary-invoices"),
    grouping: str | None = typer.Option(None, help="receiver or vendor"),
    country: str | None = None,
    address: str | None = typer.Option(None, help=r"Postal address; separate lines with \n."),
    tax_id: str | None = None,
    time_zone: str | None = None,
    locale: str | None = None,
) -> None:
    """Change some of a partner's settings and document fields, keeping the rest."""
    with api() as client:
        partner = client.get(f"/v1/partners/{partner_id}")
        partner.pop("id")
        partner["settings"].update(
            _given(
                invoice_per_order=invoice_per_order,
                summary_invoices=summary_invoices,
                grouping=grouping,
            )
        )
        partner.update(
            _given(
                country=country,
                postal_address=address.replace("\\n", "\n") if address else None,
                tax_id=tax_id,
                time_zone=time_zone,
                locale=locale,
            )
        )
        _show(client.put(f"/v1/partners/{partner_id}", partner))


@partners.command("show")
def show_partner(partner_id: str) -> None:
    with api() as client:
        _show(client.get(f"/v1/partners/{partner_id}"))


@vendors.command("put")
def put_vendor(
    vendor_id: str,
    name: str = typer.Option(...),
    invoice_per_order: bool = typer.Option(False, help="Does the vendor support it?"),
) -> None:
    """Create or replace a vendor."""
    with api() as client:
        _show(
            client.put(
                f"/v1/vendors/{vendor_id}",
                {"name": name, "invoice_per_order": invoice_per_order},
            )
        )


@vendors.command("show")
def show_vendor(vendor_id: str) -> None:
    with api() as client:
        _show(client.get(f"/v1/vendors/{vendor_id}"))


@offers.command("put")
def put_offer(
    offer_id: str,
    vendor: str = typer.Option(...),
    name: str = typer.Option(...),
    billing_type: str = typer.Option(..., help="one_time, recurring or usage"),
    unit_price: str = typer.Option(..., help="A decimal, e.g. 12.50"),
    currency: str = typer.Option("EUR"),
    perpetual: bool = typer.Option(False),
    term_months: int = typer.Option(12),
    category: str = typer.Option("standard", help="standard, domain or ssl"),
) -> None:
    """Create or replace an offer."""
    body = {
        "vendor_id": vendor,
        "name": name,
        "billing_type": billing_type,
        "unit_price": unit_price,
        "currency": currency,
        "perpetual": perpetual,
        "term_months": term_months,
        "category": category,
    }
    with api() as client:
        _show(client.put(f"/v1/offers/{offer_id}", body))


@offers.command("show")
def show_offer(offer_id: str) -> None:
    with api() as client:
        _show(client.get(f"/v1/offers/{offer_id}"))
