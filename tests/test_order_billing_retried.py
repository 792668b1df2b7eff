"""An order whose billing fails at first: the Temporal UI says Billing while it is retried, and
the order is invoiced once when the database takes the invoice again."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import Engine
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle

from tests.refused_invoices import refused_invoice
from tests.test_batched_provisioning import report_many, three_item_order
from tests.world import World, billed, invoices_of
from workflows.order import workflow_id
from workflows.search_attributes import BILLING_STATE


async def shown_state(handle: WorkflowHandle, wanted: str, within: float = 40.0) -> str | None:
    """The BillingState the order shows, polled until it is `wanted` or `within` has passed."""
    state = None
    for _ in range(int(within / 0.25)):
        state = (await handle.describe()).typed_search_attributes.get(BILLING_STATE)
        if state == wanted:
            break
        await asyncio.sleep(0.25)
    return state


async def test_billing_that_fails_at_first_shows_billing_until_the_order_is_invoiced(
    api: httpx.AsyncClient, temporal: Client, world: World, engine: Engine
) -> None:
    number = await three_item_order(api, world, "BRETRY")
    with refused_invoice(engine, number):
        answer = await report_many(
            api, number, {"a": "succeeded", "b": "succeeded", "c": "succeeded"}
        )
        assert answer.status_code == 200, answer.text
        handle = temporal.get_workflow_handle(workflow_id(number))
        assert await shown_state(handle, "Billing") == "Billing"
        assert await invoices_of(api, number) == []

    assert (await billed(temporal, number)).invoice_id is not None
    assert await shown_state(handle, "Invoiced") == "Invoiced"
    assert len(await invoices_of(api, number)) == 1
    events = [event.event_type for event in (await handle.fetch_history()).events]
    upserts = events.count(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)
    assert upserts == 2, events  # Billing once the first attempt failed, then Invoiced
