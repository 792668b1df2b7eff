"""The delta-invoicing CLI against the API served over real HTTP: switch it on, generate with a
progress bar, list pre-invoices and periods, and close a period once nothing open is in it."""

from __future__ import annotations

from datetime import date

import httpx
from temporalio.client import Client

from tests.cli import billing
from tests.delta import delta_world, generate, period_id, pre_invoices, subscription

JAN = date(2026, 1, 1)


async def test_delta_invoicing_from_the_cli(
    api: httpx.AsyncClient, temporal: Client, live_api_url: str
) -> None:
    w = await delta_world(api, months=[JAN], enable=False)
    code, output = await billing(live_api_url, "delta", "enable", w.issuer)
    assert code == 0 and f"Delta invoicing of {w.issuer} is on" in output
    await subscription(api, temporal, w, "S1", starts="2026-01-01T00:00:00Z", quantity=2)

    code, output = await billing(
        live_api_url, "pre-invoices", "run", "--issuer", w.issuer, "--as-of", "2026-01-31"
    )
    run_id = f"pre-invoice-run-{w.issuer}-2026-01-31-1"
    assert code == 0, output
    assert f"{run_id} completed: 1 pre-invoice(s), 1 line(s), 1/1 receivers." in output

    [pre_invoice] = await pre_invoices(api, w)
    code, output = await billing(live_api_url, "pre-invoices", "list", "--issuer", w.issuer)
    assert code == 0 and pre_invoice["number"] in output and "62.00" in output

    code, output = await billing(live_api_url, "periods", "list", "--issuer", w.issuer)
    assert code == 0 and period_id(w, JAN) in output and "open" in output
    code, output = await billing(live_api_url, "periods", "close", period_id(w, JAN))
    assert code == 1 and "open pre-invoices" in output and pre_invoice["number"] in output

    assert (await api.post(f"/v1/invoices/{pre_invoice['id']}/finalize")).status_code == 200
    code, output = await billing(live_api_url, "periods", "close", period_id(w, JAN))
    assert code == 0 and "closed for invoicing" in output


async def test_pre_invoice_generations_are_listed_from_the_cli(
    api: httpx.AsyncClient, temporal: Client, live_api_url: str
) -> None:
    w = await delta_world(api, months=[JAN])
    await subscription(api, temporal, w, "S1", starts="2026-01-01T00:00:00Z", quantity=2)
    first, _, _ = await generate(api, temporal, w, "2026-01-31")
    second, _, _ = await generate(api, temporal, w, "2026-01-31")

    code, output = await billing(live_api_url, "pre-invoices", "runs", "--issuer", w.issuer)
    assert code == 0, output
    assert "Pre-invoice generations" in output
    assert output.index(second) < output.index(first)
    [newest] = [line for line in output.splitlines() if second in line]
    [oldest] = [line for line in output.splitlines() if first in line]
    assert "completed" in newest and "1/1" in newest and "2026-01-31" in newest
    assert [cell.strip() for cell in oldest.split("│")[5:8]] == ["1/1", "1", "1"], oldest

    code, output = await billing(
        live_api_url, "pre-invoices", "runs", "--issuer", w.issuer, "--last", "1"
    )
    assert code == 0 and second in output and first not in output
    code, output = await billing(
        live_api_url, "pre-invoices", "runs", "--issuer", w.issuer, "--status", "running"
    )
    assert code == 0 and first not in output and second not in output
    code, output = await billing(live_api_url, "pre-invoices", "runs", "--status", "finished")
    assert code == 1 and "422" in output and "status" in output
