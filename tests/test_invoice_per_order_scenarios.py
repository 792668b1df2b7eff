"""Invoice per order end to end, each behaviour driven through the real API, worker, Temporal
and PostgreSQL."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx
from temporalio.client import Client, WorkflowExecutionStatus

from billing.contracts.order_workflow import OrderProgress
from tests.world import World, billed, invoices_of, report, submit
from workflows.order import OrderWorkflow, workflow_id


async def test_two_orders_of_one_customer_make_two_invoices(
    api: httpx.AsyncClient, temporal: Client, world: World
) -> None:
    numbers = [world.order_number("S1-A"), world.order_number("S1-B")]
    for number in numbers:
        await submit(api, number, world.seller, world.customer, [("1", world.security, 2)])
        assert (await report(api, number, "1", "succeeded")).status_code == 200
    results = [await billed(temporal, number) for number in numbers]

    assert results[0].invoice_id != results[1].invoice_id
    for number, result in zip(numbers, results, strict=True):
        [invoice] = await invoices_of(api, number)
        assert invoice["id"] == result.invoice_id
        assert invoice["order_number"] == number
        assert invoice["status"] == "verified"
        assert invoice["receiver_id"] == world.customer
        assert [line["amount"] for line in invoice["lines"]] == ["20.00"]
    by_customer = await api.get("/v1/invoices", params={"receiver_id": world.customer})
    assert {i["order_number"] for i in by_customer.json()["items"]} == set(numbers)


async def test_mixed_vendors_invoice_sn1_now_and_microsoft_at_month_end(
    api: httpx.AsyncClient, temporal: Client, world: World
) -> None:
    number = world.order_number("S2")
    await submit(
        api, number, world.seller, world.customer, [("sec", world.security, 1), ("e5", world.e5, 3)]
    )
    await report(api, number, "sec", "succeeded")
    await report(api, number, "e5", "succeeded")
    result = await billed(temporal, number)

    [invoice] = await invoices_of(api, number)
    assert invoice["id"] == result.invoice_id
    assert [(line["item_id"], line["offer_id"]) for line in invoice["lines"]] == [
        ("sec", world.security)
    ]
    assert invoice["subtotal"] == invoice["total"] == "10.00"

    order = (await api.get(f"/v1/orders/{number}")).json()
    assert order["status"] == "completed"
    assert order["invoice_id"] == result.invoice_id
    assert {i["item_id"]: i["invoice_frequency"] for i in order["items"]} == {
        "sec": "per_order",
        "e5": "monthly",
    }
    lines = (await api.get("/v1/billings", params={"issuer_id": world.seller, "q": number})).json()
    by_item = {line["item_id"]: line for line in lines["items"]}
    assert by_item["sec"]["invoice_frequency"] == "per_order"
    assert by_item["sec"]["invoice_id"] == result.invoice_id
    # Microsoft follows the default flow: an uninvoiced monthly line for the month-end run.
    assert by_item["e5"]["invoice_frequency"] == "monthly"
    assert by_item["e5"]["invoice_id"] is None
    assert by_item["e5"]["amount"] == "90.00"
    assert by_item["e5"]["order_number"] == number


async def test_more_licences_need_a_new_order_that_expires_a_month_later(
    api: httpx.AsyncClient, temporal: Client, world: World
) -> None:
    first, second = world.order_number("S3-A"), world.order_number("S3-B")
    await submit(api, first, world.seller, world.customer, [("1", world.security, 5)])
    await report(api, first, "1", "succeeded", provisioned_at="2026-01-15T10:00:00Z")
    await billed(temporal, first)

    [original] = (
        await api.get("/v1/subscriptions", params={"customer_id": world.customer})
    ).json()["items"]
    assert original["quantity"] == 5 and original["perpetual"] is True
    assert original["expires_at"].startswith("2027-01-15T10:00:00")

    refused = await api.patch(f"/v1/subscriptions/{original['id']}", json={"quantity": 12})
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert "new order" in refused.json()["detail"]
    unchanged = await api.get(f"/v1/subscriptions/{original['id']}")
    assert unchanged.json()["quantity"] == 5

    await submit(api, second, world.seller, world.customer, [("1", world.security, 7)])
    await report(api, second, "1", "succeeded", provisioned_at="2026-02-15T10:00:00Z")
    await billed(temporal, second)

    subscriptions = (
        await api.get("/v1/subscriptions", params={"customer_id": world.customer})
    ).json()["items"]
    assert [(s["order_number"], s["quantity"], s["expires_at"][:10]) for s in subscriptions] == [
        (first, 5, "2027-01-15"),
        (second, 7, "2027-02-15"),
    ]
    assert len(await invoices_of(api, second)) == 1


async def test_same_offers_same_day_make_separate_two_line_invoices(
    api: httpx.AsyncClient, temporal: Client, world: World
) -> None:
    numbers = [world.order_number("S4-1"), world.order_number("S4-2")]
    for number in numbers:
        await submit(
            api,
            number,
            world.seller,
            world.customer,
            [("security", world.security, 5), ("data", world.data, 3)],
        )
        await asyncio.gather(
            report(api, number, "security", "succeeded"), report(api, number, "data", "succeeded")
        )
    invoice_ids = set()
    for number in numbers:
        result = await billed(temporal, number)
        [invoice] = await invoices_of(api, number)
        invoice_ids.add(invoice["id"])
        assert result.per_order_items == ["security", "data"]
        assert [
            (line["item_id"], line["quantity"], line["unit_price"], line["amount"])
            for line in invoice["lines"]
        ] == [
            ("security", 5, "10.00", "50.00"),
            ("data", 3, "4.99", "14.97"),
        ]
        assert invoice["subtotal"] == invoice["total"] == "64.97"
        assert Decimal(invoice["total"]) == sum(
            Decimal(line["amount"]) for line in invoice["lines"]
        )
    assert len(invoice_ids) == 2


async def test_failed_items_are_never_billed(
    api: httpx.AsyncClient, temporal: Client, world: World
) -> None:
    number = world.order_number("S5")
    await submit(
        api,
        number,
        world.seller,
        world.customer,
        [("security", world.security, 1), ("data", world.data, 1)],
    )
    await report(api, number, "security", "succeeded")
    await report(api, number, "data", "failed", reason="vendor rejected the licence key")
    result = await billed(temporal, number)

    assert result.failed_items == ["data"]
    [invoice] = await invoices_of(api, number)
    assert [line["item_id"] for line in invoice["lines"]] == ["security"]
    lines = (await api.get("/v1/billings", params={"q": number})).json()["items"]
    assert [line["item_id"] for line in lines] == ["security"]
    order = (await api.get(f"/v1/orders/{number}")).json()
    assert {i["item_id"]: (i["provisioning"], i["invoice_frequency"]) for i in order["items"]} == {
        "security": ("succeeded", "per_order"),
        "data": ("failed", None),
    }


async def test_the_invoice_waits_for_every_outcome(
    api: httpx.AsyncClient, temporal: Client, world: World
) -> None:
    number = world.order_number("S6")
    await submit(
        api,
        number,
        world.seller,
        world.customer,
        [("security", world.security, 1), ("data", world.data, 1)],
    )
    await report(api, number, "security", "succeeded")
    handle = temporal.get_workflow_handle(workflow_id(number))

    async def progress() -> OrderProgress:
        return await handle.query(OrderWorkflow.progress)

    for _ in range(50):  # the signal is delivered asynchronously
        if (await progress()).pending_items == ["data"]:
            break
        await asyncio.sleep(0.05)
    assert (await progress()).pending_items == ["data"]
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    assert await invoices_of(api, number) == []
    order = (await api.get(f"/v1/orders/{number}")).json()
    assert order["status"] == "awaiting_provisioning"
    assert order["pending_items"] == ["data"]

    await report(api, number, "data", "succeeded")
    result = await billed(temporal, number)
    [invoice] = await invoices_of(api, number)
    assert invoice["id"] == result.invoice_id
    assert len(invoice["lines"]) == 2
