"""The delta-invoicing CLI against the API served over real HTTP: switch it on, generate with a
progress bar, list pre-invoices and periods, and close a period once nothing open is in it."""

from __future__ import annotations

from datetime import date

import httpx
from temporalio.client import Client

from tests.cli import billing
from tests.delta import delta_world, period_id, pre_invoices, subscription

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
