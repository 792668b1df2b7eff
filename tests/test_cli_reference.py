"""The CLI reaches what the console does: partners with their settings and document fields,
vendors, offers, the summary preview, manual payment and any invoice's PDF,
against the API served over real HTTP."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
from temporalio.client import Client

from tests.cli import billing
from tests.console_world import build_console_world, invoiced_order


async def test_an_administrator_scripts_reference_data_tokens_previews_payments_and_pdfs(
    api: httpx.AsyncClient, temporal: Client, live_api_url: str, tmp_path: Path
) -> None:
    s = uuid.uuid4().hex[:8]
    code, output = await billing(
        live_api_url, "partners", "put", f"clidist-{s}", "--name", "CLI Dist", "--level",
        "distributor", "--country", "SE", "--address", r"Storgatan 1\n111 22 Stockholm",
        "--tax-id", "SE556677889901", "--time-zone", "Europe/Stockholm", "--locale", "sv_SE",
    )  # fmt: skip
    assert code == 0, output
    partner = json.loads(output)
    assert partner["postal_address"] == "Storgatan 1\n111 22 Stockholm"
    assert (partner["time_zone"], partner["locale"]) == ("Europe/Stockholm", "sv_SE")

    code, output = await billing(
        live_api_url, "partners", "set", f"clidist-{s}", "--summary-invoices", "--tax-id", "SE1"
    )
    assert code == 0, output
    changed = json.loads(output)
    assert changed["settings"]["summary_invoices"] is True and changed["tax_id"] == "SE1"
    assert changed["postal_address"] == partner["postal_address"]  # the rest is kept

    code, output = await billing(
        live_api_url, "partners", "set", f"clidist-{s}", "--time-zone", "Mars/Olympus"
    )
    assert code == 1 and "not an IANA time zone" in output

    code, output = await billing(
        live_api_url, "vendors", "put", f"clivendor-{s}", "--name", "Sentinel One",
        "--invoice-per-order",
    )  # fmt: skip
    assert code == 0 and json.loads(output)["invoice_per_order"] is True
    code, output = await billing(
        live_api_url, "offers", "put", f"clioffer-{s}", "--vendor", f"clivendor-{s}", "--name",
        "Security", "--billing-type", "one_time", "--unit-price", "12.50", "--perpetual",
    )  # fmt: skip
    assert code == 0 and json.loads(output)["unit_price"] == "12.50"
    code, output = await billing(live_api_url, "offers", "show", f"clioffer-{s}")
    assert code == 0 and json.loads(output)["vendor_id"] == f"clivendor-{s}"

    cw = await build_console_world(api)
    number, invoice_id = await invoiced_order(api, temporal, cw, "CLI", cw.customer_de)
    code, output = await billing(
        live_api_url, "summaries", "preview", "--issuer", cw.seller, "--date", "2026-12-15",
        invoice_id, "no-such-invoice",
    )  # fmt: skip
    assert code == 0, output
    assert (
        "1 invoice(s) would be added, 1 skipped" in output and "No invoice with this id" in output
    )

    out = tmp_path / "invoice.pdf"
    code, output = await billing(live_api_url, "invoices", "pdf", invoice_id, "--out", str(out))
    assert code == 0, output
    assert out.read_bytes().startswith(b"%PDF-")

    code, output = await billing(live_api_url, "orders", "pay", number, "--operator", "ops.carol")
    assert code == 0 and f"{number} paid at" in output
    code, output = await billing(live_api_url, "orders", "pay", number, "--operator", "ops.carol")
    assert code == 1 and "409" in output  # paying twice is refused
