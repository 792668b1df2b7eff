"""An order whose billing fails at first: the Temporal UI says Billing while it is retried, and
the order is invoiced once when the database takes the invoice again."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import Engine
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflow.v1 import PendingActivityInfo
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


async def pending_retry(handle: WorkflowHandle, within: float = 40.0) -> PendingActivityInfo:
    """The order's pending activity once an attempt of it has failed."""
    for _ in range(int(within / 0.25)):
        pending = (await handle.describe()).raw_description.pending_activities
        if pending and pending[0].HasField("last_failure"):
            return pending[0]
        await asyncio.sleep(0.25)
    raise AssertionError(f"no failed attempt pending within {within} s")


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
        # The retry is the order's pending activity, with the database's refusal as its failure.
        retry = await pending_retry(handle)
        assert retry.activity_type.name == "bill_order", retry
        assert "invoices refused for now" in retry.last_failure.message, retry
        assert await invoices_of(api, number) == []

    assert (await billed(temporal, number)).invoice_id is not None
    assert await shown_state(handle, "Invoiced") == "Invoiced"
    assert len(await invoices_of(api, number)) == 1
    history = (await handle.fetch_history()).events
    events = [event.event_type for event in history]
    # The SDK's own upsert of TemporalChangeVersion, for the retry's patch, is not the order's.
    upserts = [
        index
        for index, event in enumerate(history)
        if event.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
        and BILLING_STATE.name
        in event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
    ]
    assert len(upserts) == 2, events  # Billing once the first attempt failed, then Invoiced
    assert events.count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) == 1, events
    # The Billing upsert is in the workflow task that scheduled the retry, not one held open by it.
    scheduled = events.index(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    between = events[upserts[0] : scheduled]
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED not in between, events
