"""Orders that wait too long for provisioning outcomes: marked stuck, findable, and unstuck by
an operator who records the missing outcome by hand."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
from sqlalchemy import Engine, select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from billing.contracts.orders import ProvisioningIn
from billing.schema import audit_log
from billing.settings import Settings
from billing.store.orders import record_outcome
from billing.vocabulary import Outcome
from tests.cli import billing
from tests.conftest import api_client, make_settings
from tests.world import World, billed, build_world, invoices_of, report, submit
from workflows import search_attributes as sa
from workflows.order import OrderWorkflow, workflow_id


async def security_and_data_order(
    api: httpx.AsyncClient, tag: str, *, data_quantity: int
) -> tuple[World, str]:
    world = await build_world(api, uuid.uuid4().hex[:8])
    number = world.order_number(tag)
    items = [("security", world.security, 1), ("data", world.data, data_quantity)]
    await submit(api, number, world.seller, world.customer, items)
    return world, number


async def test_an_order_waiting_past_the_threshold_is_stuck_until_an_operator_records_the_outcome(
    time_skipping_env: WorkflowEnvironment, time_skipping_api: httpx.AsyncClient, engine: Engine
) -> None:
    api, temporal = time_skipping_api, time_skipping_env.client
    world, number = await security_and_data_order(api, "STUCK", data_quantity=2)
    await report(api, number, "security", "succeeded")
    handle = temporal.get_workflow_handle(workflow_id(number))

    await time_skipping_env.sleep(timedelta(hours=23))
    assert (await handle.query(OrderWorkflow.progress)).stuck is False

    await time_skipping_env.sleep(timedelta(hours=2))  # past the default 24 h
    progress = await handle.query(OrderWorkflow.progress)
    assert progress.stuck is True and progress.pending_items == ["data"]
    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(sa.BILLING_STATE) == "Stuck"
    assert attributes.get(sa.PENDING_ITEMS) == 1
    assert attributes.get(sa.ORDER_NUMBER) == number
    assert attributes.get(sa.CUSTOMER_ID) == world.customer

    stuck = (
        await api.get("/v1/orders", params={"status": "stuck", "issuer_id": world.seller})
    ).json()
    [listed] = stuck["items"]
    assert listed["order_number"] == number and listed["pending_items"] == ["data"]
    assert listed["stuck_since"] is not None

    refused = await api.post(
        f"/v1/orders/{number}/items/data/manual-outcome", json={"outcome": "succeeded"}
    )
    assert refused.status_code == 422  # who and why are required

    recorded = await api.post(
        f"/v1/orders/{number}/items/data/manual-outcome",
        json={
            "outcome": "succeeded",
            "operator": "ops.alice",
            "reason": "vendor portal shows it active",
        },
    )
    assert recorded.status_code == 200, recorded.text
    result = await billed(temporal, number)
    assert result.per_order_items == ["security", "data"]
    [invoice] = await invoices_of(api, number)
    assert invoice["total"] == "19.98"

    order = (await api.get(f"/v1/orders/{number}")).json()
    assert order["status"] == "completed"
    data = next(item for item in order["items"] if item["item_id"] == "data")
    assert data["reported_by"] == "ops.alice"
    assert data["reason"] == "vendor portal shows it active"
    assert (await handle.describe()).typed_search_attributes.get(sa.BILLING_STATE) == "Invoiced"
    with engine.connect() as conn:
        [entry] = conn.execute(
            select(audit_log).where(audit_log.c.subject == f"order:{number}:item:data")
        ).mappings()
    assert entry["actor"] == "ops.alice"
    assert entry["detail"] == {"outcome": "succeeded", "reason": "vendor portal shows it active"}


async def test_an_order_no_report_reaches_is_stuck_at_the_threshold_counted_from_submission(
    time_skipping_env: WorkflowEnvironment, time_skipping_api: httpx.AsyncClient
) -> None:
    api, temporal = time_skipping_api, time_skipping_env.client
    world, number = await security_and_data_order(api, "SILENT", data_quantity=1)
    handle = temporal.get_workflow_handle(workflow_id(number))

    async def listed_stuck() -> list[str]:
        page = await api.get("/v1/orders", params={"status": "stuck", "issuer_id": world.seller})
        return [order["order_number"] for order in page.json()["items"]]

    await time_skipping_env.sleep(timedelta(hours=23))
    # Nothing to do yet, so the workflow has not run; Temporal shows where the order stands.
    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(sa.BILLING_STATE) == "AwaitingProvisioning"
    assert attributes.get(sa.PENDING_ITEMS) == 2
    assert number not in await listed_stuck()

    await time_skipping_env.sleep(timedelta(hours=2))  # 25 h after submission, not 48 h
    progress = await handle.query(OrderWorkflow.progress)
    assert progress.stuck is True and progress.pending_items == ["security", "data"]
    assert (await handle.describe()).typed_search_attributes.get(sa.BILLING_STATE) == "Stuck"
    assert number in await listed_stuck()


async def test_a_lost_signal_is_caught_up_when_the_order_is_found_stuck(
    time_skipping_env: WorkflowEnvironment, time_skipping_api: httpx.AsyncClient, engine: Engine
) -> None:
    api, temporal = time_skipping_api, time_skipping_env.client
    world = await build_world(api, uuid.uuid4().hex[:8])
    number = world.order_number("LOST")
    await submit(api, number, world.seller, world.customer, [("security", world.security, 3)])
    # The outcome reaches the database but its signal is lost (the API died in between).
    with engine.begin() as conn:
        record_outcome(conn, number, "security", ProvisioningIn(outcome=Outcome.succeeded))

    await time_skipping_env.sleep(timedelta(hours=25))
    result = await billed(temporal, number)
    assert result.per_order_items == ["security"]
    assert (await api.get(f"/v1/orders/{number}")).json()["status"] == "completed"


async def test_stuck_orders_are_searchable_in_temporal_visibility_and_listed_by_the_cli(
    temporal: Client,
    engine: Engine,
    database_url: str,
    world: World,
    settings: Settings,
    live_api_url: str,
) -> None:
    """On the dev server (what operators run), `BillingState = 'Stuck'` finds the order, and
    `billing orders stuck` lists it with its pending items."""
    quick = make_settings(database_url, settings.task_queue, stuck_after=timedelta(seconds=1))
    async with api_client(quick, engine, temporal) as api:
        number = world.order_number("VIS")
        await submit(api, number, world.seller, world.customer, [("data", world.data, 1)])
        query = f"BillingState = 'Stuck' AND OrderNumber = '{number}'"
        found: list[str] = []
        for _ in range(100):
            found = [wf.id async for wf in temporal.list_workflows(query)]
            if found:
                break
            await asyncio.sleep(0.1)
        assert found == [workflow_id(number)]
        code, output = await billing(live_api_url, "orders", "stuck", "--issuer", world.seller)
        assert code == 0 and number in output and "data" in output
        await report(api, number, "data", "failed", reason="out of stock")
        result = await billed(temporal, number)
        assert result.invoice_id is None and result.failed_items == ["data"]
        assert await invoices_of(api, number) == []
