"""The operator's CLI against the API served over real HTTP."""

from __future__ import annotations

import httpx
from temporalio.client import Client

from tests.cli import billing
from tests.world import World, billed, report, submit


async def test_operator_records_a_missing_outcome_from_the_cli(
    api: httpx.AsyncClient, temporal: Client, world: World, live_api_url: str
) -> None:
    number = world.order_number("CLI")
    await submit(
        api, number, world.seller, world.customer, [("a", world.security, 1), ("b", world.data, 1)]
    )
    await report(api, number, "a", "succeeded")

    code, output = await billing(live_api_url, "orders", "show", number)
    assert code == 0 and "pending" in output and "awaiting_provisioning" in output

    code, output = await billing(
        live_api_url, "orders", "record-outcome", number, "b",
        "--outcome", "failed", "--reason", "never activated", "--operator", "ops.bob",
    )  # fmt: skip
    assert code == 0, output
    assert "Still pending: none" in output
    result = await billed(temporal, number)
    assert result.failed_items == ["b"]

    code, output = await billing(live_api_url, "invoices", "list", "--order", number)
    assert code == 0 and result.invoice_number is not None and result.invoice_number in output
    code, output = await billing(live_api_url, "billings", "list", "-q", number)
    assert code == 0 and "per_order" in output


async def test_cli_errors_are_readable(world: World, live_api_url: str) -> None:
    code, output = await billing(live_api_url, "orders", "show", "NO-SUCH-ORDER")
    assert code == 1 and "No order with number 'NO-SUCH-ORDER'" in output
    code, output = await billing(live_api_url, "orders", "stuck", token="wrong")
    assert code == 1 and "401" in output
    code, output = await billing("http://127.0.0.1:9", "orders", "stuck")
    assert code == 1 and "API unreachable" in output
