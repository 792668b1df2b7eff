"""`billing`: the command line for administrators and operators.

Talks to the HTTP API (BILLING_API_URL, token BILLING_TOKEN or BILLING_ADMIN_TOKEN), except
`billing db upgrade`, `billing worker` and `billing api`, which run parts of the engine.
"""

from __future__ import annotations

import typer

from starter.cli import (
    delta,
    orders,
    recurring,
    reference,
    reports,
    runs,
    summaries,
    system,
    tokens,
)

app = typer.Typer(no_args_is_help=True, help=__doc__, pretty_exceptions_enable=False)
app.add_typer(orders.app, name="orders")
app.add_typer(reports.invoices, name="invoices")
app.add_typer(reports.billings, name="billings")
app.add_typer(runs.app, name="runs")
app.add_typer(recurring.app, name="recurring")
app.add_typer(summaries.app, name="summaries")
app.add_typer(reference.partners, name="partners")
app.add_typer(reference.vendors, name="vendors")
app.add_typer(reference.offers, name="offers")
app.add_typer(tokens.app, name="tokens")
app.add_typer(delta.delta, name="delta")
app.add_typer(delta.periods, name="periods")
app.add_typer(delta.pre_invoices, name="pre-invoices")
system.register(app)


def main() -> None:
    app()
