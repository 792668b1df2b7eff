"""What every CLI command shares: the API client, error reporting, tables."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from billing.settings import get_settings
from starter.client import ApiError, BillingClient

console = Console()
errors = Console(stderr=True)


@contextmanager
def api() -> Iterator[BillingClient]:
    url = os.environ.get("BILLING_API_URL", "http://127.0.0.1:8000")
    token = os.environ.get("BILLING_TOKEN") or get_settings().admin_token
    try:
        with BillingClient(url, token) as client:
            yield client
    except ApiError as error:
        errors.print(f"[red]{error.title}[/red] ({error.status}): {error.detail}")
        raise typer.Exit(1) from None


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    view = Table(title=title)
    for column in columns:
        view.add_column(column)
    for row in rows:
        view.add_row(*["" if cell is None else str(cell) for cell in row])
    console.print(view)
