"""Order systems submit several orders in one request: recorded together or not at all, each
order's workflow started, and a retried batch changing nothing."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import Engine
from temporalio.client import Client, WorkflowExecutionStatus

from billing.contracts.orders import MAX_ORDERS_PER_BATCH
from billing.schema import order_items, orders
from tests.test_order_api_contract import assert_problem, count
from tests.world import World, billed, invoices_of, order_body, report
from workflows.order import workflow_id


def bodies(world: World, *tags: str) -> list[dict[str, Any]]:
    return [
        order_body(
            world.order_number(tag),
            world.seller,
            world.customer,
            [("a", world.security, 1), ("b", world.data, 2)],
        )
        for tag in tags
    ]


async def submit_batch(api: httpx.AsyncClient, batch: list[dict[str, Any]]) -> httpx.Response:
    return await api.post("/v1/orders/batch", json={"orders": batch})


async def test_a_batch_records_every_order_and_starts_each_workflow(
    api: httpx.AsyncClient, temporal: Client, world: World, engine: Engine
) -> None:
    batch = bodies(world, "BS1", "BS2", "BS3")
    answer = await submit_batch(api, batch)
    assert answer.status_code == 202, answer.text
    submitted = answer.json()
    numbers = [body["order_number"] for body in batch]
    assert [order["order_number"] for order in submitted["orders"]] == numbers
    assert submitted["replayed"] == []
    for order in submitted["orders"]:
        assert order["status"] == "awaiting_provisioning"
        assert order["pending_items"] == ["a", "b"]
        assert [(i["item_id"], i["quantity"]) for i in order["items"]] == [("a", 1), ("b", 2)]
        # The answer is what a read returns.
        assert (await api.get(f"/v1/orders/{order['order_number']}")).json() == order
        described = await temporal.get_workflow_handle(
            workflow_id(order["order_number"])
        ).describe()
        assert described.status is WorkflowExecutionStatus.RUNNING
    assert count(engine, order_items, order_number=numbers[1]) == 2
    # Each order goes on alone from here: one is invoiced, the others still wait.
    await report(api, numbers[0], "a", "succeeded")
    await report(api, numbers[0], "b", "succeeded")
    assert (await billed(temporal, numbers[0])).invoice_id is not None
    [invoice] = await invoices_of(api, numbers[0])
    assert invoice["total"] == "19.98"
    assert (await api.get(f"/v1/orders/{numbers[2]}")).json()["status"] == "awaiting_provisioning"


async def test_a_retried_batch_changes_nothing_and_says_which_orders_were_recorded_already(
    api: httpx.AsyncClient, world: World, engine: Engine
) -> None:
    first = bodies(world, "BR1", "BR2")
    assert (await submit_batch(api, first)).status_code == 202
    numbers = [body["order_number"] for body in first]
    again = await submit_batch(api, first)
    assert again.status_code == 202, again.text
    assert again.json()["replayed"] == numbers
    # A retry that carries new orders too records only those.
    [extra] = bodies(world, "BR3")
    mixed = await submit_batch(api, [extra, *first])
    assert mixed.status_code == 202, mixed.text
    assert mixed.json()["replayed"] == numbers
    assert [o["order_number"] for o in mixed.json()["orders"]] == [extra["order_number"], *numbers]
    for number in [*numbers, extra["order_number"]]:
        assert count(engine, orders, order_number=number) == 1
        assert count(engine, order_items, order_number=number) == 2
    # An order submitted alone and then in a batch is the same order.
    [alone] = bodies(world, "BR4")
    assert (await api.post("/v1/orders", json=alone)).status_code == 202
    assert (await submit_batch(api, [alone])).json()["replayed"] == [alone["order_number"]]


async def test_one_refused_order_refuses_the_batch_and_is_named(
    api: httpx.AsyncClient, world: World, engine: Engine
) -> None:
    good, bad = bodies(world, "BG1", "BB1")
    bad["items"][1]["offer_id"] = "no-such-offer"
    assert_problem(
        await submit_batch(api, [good, bad]),
        422,
        f"Order {bad['order_number']!r}: Unknown offer(s) ['no-such-offer']",
    )
    recorded, changed = bodies(world, "BG2", "BB2")
    assert (await api.post("/v1/orders", json=changed)).status_code == 202
    changed["items"][0]["quantity"] = 7
    refused = assert_problem(await submit_batch(api, [recorded, good, changed]), 409)
    assert refused["detail"].startswith(
        f"Order {changed['order_number']!r} was already submitted with different contents"
    )
    stranger = {**bodies(world, "BB3")[0], "customer_id": world.customer_of_monthly}
    assert_problem(await submit_batch(api, [good, stranger]), 422, "BB3", "one level down")
    for body in (good, bad, recorded):
        assert count(engine, orders, order_number=body["order_number"]) == 0
    assert (await api.get(f"/v1/orders/{changed['order_number']}")).json()["items"][0][
        "quantity"
    ] == 1


async def test_a_batch_naming_an_order_twice_none_or_too_many_is_a_422(
    api: httpx.AsyncClient, world: World, engine: Engine
) -> None:
    [body] = bodies(world, "BTWICE")
    assert_problem(await submit_batch(api, [body, body]), 422, "repeated", body["order_number"])
    assert_problem(await submit_batch(api, []), 422, "orders")
    many = bodies(world, *(f"BMANY{i}" for i in range(MAX_ORDERS_PER_BATCH + 1)))
    assert_problem(await submit_batch(api, many), 422, f"at most {MAX_ORDERS_PER_BATCH}")
    assert count(engine, orders, order_number=body["order_number"]) == 0
    assert count(engine, orders, order_number=many[0]["order_number"]) == 0
