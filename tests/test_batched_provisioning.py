"""Order systems report several items' outcomes in one request: recorded together or not at all,
the order's workflow woken once, and the order invoiced exactly once."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import Engine, select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from billing.contracts.order_workflow import OrderProgress
from billing.schema import invoices
from tests.test_order_api_contract import assert_problem
from tests.world import World, billed, build_world, invoices_of, report, submit
from workflows.order import OrderWorkflow, workflow_id
from workflows.search_attributes import BILLING_STATE


async def report_many(
    api: httpx.AsyncClient, number: str, outcomes: dict[str, str], **extra: Any
) -> httpx.Response:
    return await api.post(
        f"/v1/orders/{number}/provisioning",
        json={
            "items": [
                {"item_id": item, "outcome": outcome, **extra} for item, outcome in outcomes.items()
            ]
        },
    )


async def three_item_order(api: httpx.AsyncClient, world: World, tag: str) -> str:
    number = world.order_number(tag)
    items = [("a", world.security, 1), ("b", world.data, 2), ("c", world.security, 3)]
    await submit(api, number, world.seller, world.customer, items)
    return number


async def test_one_report_of_every_item_invoices_the_order_once(
    api: httpx.AsyncClient, temporal: Client, world: World
) -> None:
    number = await three_item_order(api, world, "BATCH")
    answer = await report_many(api, number, {"a": "succeeded", "b": "succeeded", "c": "failed"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["pending_items"] == []
    result = await billed(temporal, number)
    assert sorted(result.per_order_items) == ["a", "b"] and result.failed_items == ["c"]
    again = await report_many(api, number, {"a": "succeeded", "b": "succeeded", "c": "failed"})
    assert again.status_code == 200 and again.json()["status"] == "completed"
    [invoice] = await invoices_of(api, number)
    assert invoice["total"] == "19.98"


async def test_a_partial_report_leaves_the_rest_pending_in_the_api_and_the_workflow(
    api: httpx.AsyncClient, temporal: Client, world: World
) -> None:
    number = await three_item_order(api, world, "BPART")
    answer = await report_many(api, number, {"a": "succeeded", "c": "succeeded"})
    assert answer.json()["pending_items"] == ["b"]
    handle = temporal.get_workflow_handle(workflow_id(number))
    progress: OrderProgress = await handle.query(OrderWorkflow.progress)
    for _ in range(50):
        if progress.pending_items == ["b"]:
            break
        progress = await handle.query(OrderWorkflow.progress)
    assert progress.pending_items == ["b"]
    # The last item may come in a single-item report as before.
    await report(api, number, "b", "succeeded")
    assert (await billed(temporal, number)).invoice_id is not None
    assert len(await invoices_of(api, number)) == 1


async def test_a_report_with_one_refused_item_records_none_of_them(
    api: httpx.AsyncClient, world: World
) -> None:
    number = await three_item_order(api, world, "BREF")
    await report(api, number, "a", "succeeded")
    assert_problem(
        await report_many(api, number, {"b": "succeeded", "a": "failed"}),
        409,
        "already reported succeeded",
    )
    assert_problem(
        await report_many(api, number, {"b": "succeeded", "zz": "failed"}), 404, "no item 'zz'"
    )
    assert_problem(await report_many(api, "NO-SUCH-ORDER", {"a": "failed"}), 404, "NO-SUCH-ORDER")
    order = (await api.get(f"/v1/orders/{number}")).json()
    assert order["pending_items"] == ["b", "c"]


async def test_a_report_naming_an_item_twice_or_none_is_a_422(
    api: httpx.AsyncClient, world: World
) -> None:
    number = await three_item_order(api, world, "B422")
    twice = await api.post(
        f"/v1/orders/{number}/provisioning",
        json={
            "items": [
                {"item_id": "a", "outcome": "succeeded"},
                {"item_id": "a", "outcome": "failed"},
            ]
        },
    )
    assert_problem(twice, 422, "repeated")
    assert_problem(await api.post(f"/v1/orders/{number}/provisioning", json={"items": []}), 422)
    order = (await api.get(f"/v1/orders/{number}")).json()
    assert order["pending_items"] == ["a", "b", "c"]


async def test_orders_billed_at_the_same_time_get_gapless_numbers_of_their_issuer(
    api: httpx.AsyncClient, temporal: Client, engine: Engine
) -> None:
    world = await build_world(api, "gapless")  # a seller of its own: its series starts at 1
    numbers = [world.order_number(f"GAP{i}") for i in range(12)]
    for number in numbers:
        await submit(api, number, world.seller, world.customer, [("a", world.security, 1)])
    await asyncio.gather(*(report_many(api, n, {"a": "succeeded"}) for n in numbers))
    results = await asyncio.gather(*(billed(temporal, n) for n in numbers))
    assert sorted(r.invoice_number or "" for r in results) == [f"INV-{i:06d}" for i in range(1, 13)]
    with engine.connect() as conn:
        stored = conn.scalars(
            select(invoices.c.number).where(invoices.c.order_number.in_(numbers))
        ).all()
    assert sorted(stored) == sorted(r.invoice_number or "" for r in results)


async def test_an_order_reported_in_one_request_is_billed_in_its_first_workflow_task(
    api: httpx.AsyncClient, temporal: Client, world: World
) -> None:
    number = await three_item_order(api, world, "BONE")
    handle = temporal.get_workflow_handle(workflow_id(number))
    # Submitted, nothing reported yet: the workflow waits without having run.
    before = [event.event_type for event in (await handle.fetch_history()).events]
    assert before == [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED]
    described = await handle.describe()
    assert described.typed_search_attributes.get(BILLING_STATE) == "AwaitingProvisioning"
    answer = await report_many(api, number, {"a": "succeeded", "b": "succeeded", "c": "succeeded"})
    assert answer.status_code == 200, answer.text
    await billed(temporal, number)
    events = [event.event_type for event in (await handle.fetch_history()).events]
    assert events.count(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) == 1, events
    assert EventType.EVENT_TYPE_TIMER_STARTED not in events
    # Billed at its first attempt: the one update of its search attributes says Invoiced.
    assert events.count(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES) == 1, events
    assert (await handle.describe()).typed_search_attributes.get(BILLING_STATE) == "Invoiced"
