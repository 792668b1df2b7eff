"""`billing summaries ...` against the real API served on 127.0.0.1: create with progress, list,
show a TaxFailed invoice's reason, retry it, download its PDF."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine
from temporalio.client import Client
from typer.testing import CliRunner

from billing.settings import Settings
from starter.api.app import create_app
from starter.api.context import AppContext
from starter.cli import app as cli
from tests.conftest import ADMIN_TOKEN
from tests.summary_world import build_summary_world, make_invoice, partner, wait_state
from tests.world import put


@pytest.fixture
async def served_api(
    api: httpx.AsyncClient, engine: Engine, temporal: Client, settings: Settings
) -> AsyncIterator[str]:
    """The API over real HTTP in this event loop; the CLI runs in a thread beside it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(create_app(AppContext(settings, engine, temporal)), log_level="warning")
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    await task


async def billing(url: str, *args: str) -> str:
    env = {"BILLING_API_URL": url, "BILLING_TOKEN": ADMIN_TOKEN, "COLUMNS": "200"}
    result = await asyncio.to_thread(CliRunner().invoke, cli, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


async def test_an_administrator_consolidates_and_an_operator_retries_tax_from_the_cli(
    api: httpx.AsyncClient, served_api: str, engine: Engine, tmp_path: Path
) -> None:
    sw = await build_summary_world(api)
    await put(
        api, f"/v1/partners/{sw.c1}", partner("Customer One", "customer", sw.seller, country=None)
    )
    invoice_id = make_invoice(engine, sw, sw.seller, [(sw.c1, 2)])

    out = await billing(
        served_api, "summaries", "create", "--issuer", sw.seller, "--date", "2026-11-30", invoice_id
    )
    assert "1 invoice(s) added, 0 skipped" in out
    assert "Invoice creation is complete. View invoices in the Invoices tab." in out
    assert "Summary invoices: SUM-000001" in out
    [made] = (await api.get("/v1/summary-invoices", params={"issuer_id": sw.seller})).json()[
        "items"
    ]
    await wait_state(api, made["id"], "TaxFailed")

    listed = await billing(served_api, "summaries", "list", "--issuer", sw.seller)
    assert "SUM-000001" in listed and "TaxFailed" in listed
    shown = await billing(served_api, "summaries", "show", made["id"])
    assert "Tax sync failed: Invalid address" in shown

    await put(
        api, f"/v1/partners/{sw.c1}", partner("Customer One", "customer", sw.seller, country="DE")
    )
    assert "restarted" in await billing(served_api, "summaries", "retry-tax", made["id"])
    done = await wait_state(api, made["id"], "TaxCompleted")
    target = tmp_path / "invoice.pdf"
    await billing(served_api, "summaries", "pdf", made["id"], "--output", str(target))
    assert target.read_bytes().startswith(b"%PDF")
    assert done["reference_code"] in await billing(served_api, "summaries", "show", made["id"])

    again = await asyncio.to_thread(
        CliRunner().invoke,
        cli,
        ["summaries", "retry-tax", made["id"]],
        env={"BILLING_API_URL": served_api, "BILLING_TOKEN": ADMIN_TOKEN},
    )
    assert again.exit_code == 1 and "only a TaxFailed" in again.output
