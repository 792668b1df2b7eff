"""The demo's delta invoicing, loaded through the API over HTTP as the start-up does: last
month billed in full by one generation, then a quantity change billed by a second generation
as last month's difference beside this month in full; loading it again bills nothing more."""

from __future__ import annotations

import asyncio
from datetime import date

from starter import demo
from starter.client import BillingClient
from tests.conftest import ADMIN_TOKEN

TODAY = date(2026, 3, 10)


def load(api_url: str) -> dict:
    with BillingClient(api_url, ADMIN_TOKEN) as client:
        demo.load(client)
        return demo.delta_invoicing(client, TODAY)


async def test_the_demo_bills_a_change_of_a_delta_invoiced_subscription_as_a_difference_line(
    live_api_url: str,
) -> None:
    made = await asyncio.to_thread(load, live_api_url)

    assert [r["lines_written"] for r in made["runs"]] == [1, 2]
    lines = sorted(
        (line["period_start"], line["amount"], line["delta"])
        for invoice in made["pre_invoices"]
        for line in invoice["lines"]
    )
    # 5 seats at 38.00 for February, then 7: +2 seats for February, 7 for March.
    assert lines == [
        ("2026-02-01", "190.00", False),
        ("2026-02-01", "76.00", True),
        ("2026-03-01", "266.00", False),
    ]
    assert {i["accounting_period_id"] for i in made["pre_invoices"]} == {
        "demo-delta-le-2026-02",
        "demo-delta-le-2026-03",
    }

    again = await asyncio.to_thread(load, live_api_url)
    assert [r["lines_written"] for r in again["runs"]] == [0, 0]
    assert len(again["pre_invoices"]) == len(made["pre_invoices"])
