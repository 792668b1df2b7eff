"""Each fact an order system can subscribe to records its webhook event exactly once, in the
transaction that makes it true: a stuck mark, a tax sync failing and then completing, a
month-end run completing."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import Engine, select
from temporalio.client import Client

from billing.schema import webhook_events
from billing.store import webhooks
from billing.store.orders import mark_stuck
from billing.webhook_events import WebhookEventType
from tests.recurring import customer, month_end, provisioned_order, recurring_world, this_period
from tests.summary_world import (
    build_summary_world,
    created,
    make_invoice,
    partner,
    request_summaries,
    wait_state,
)
from tests.world import World, put, submit

EVERY_EVENT = list(WebhookEventType)
# Nothing here is delivered; the outbox rows are what is checked.
NOWHERE = "http://127.0.0.1:9/hooks"


def subscribe(engine: Engine, partner_id: str) -> str:
    with engine.begin() as conn:
        return webhooks.create_endpoint(conn, partner_id, NOWHERE, EVERY_EVENT).id


def events(engine: Engine, endpoint_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    """The endpoint's events, oldest first; marked dispatched so no relay of a later test
    tries to deliver them."""
    with engine.begin() as conn:
        rows = conn.execute(
            select(
                webhook_events.c.id,
                webhook_events.c.type,
                webhook_events.c.subject,
                webhook_events.c.data,
            )
            .where(webhook_events.c.endpoint_id == endpoint_id)
            .order_by(webhook_events.c.created_at)
        ).all()
        for row in rows:
            webhooks.mark_dispatched(conn, str(row.id), 0)
    return [(row.type, row.subject, row.data) for row in rows]


async def test_an_order_marked_stuck_twice_records_one_event(
    api: httpx.AsyncClient, world: World, engine: Engine
) -> None:
    endpoint = subscribe(engine, world.seller)
    number = world.order_number("WH-STUCK")
    await submit(api, number, world.seller, world.customer, [("1", world.security, 1)])
    with engine.begin() as conn:
        mark_stuck(conn, number)
        mark_stuck(conn, number)
    assert events(engine, endpoint) == [
        ("order.stuck", number, {"order_number": number, "customer_id": world.customer})
    ]


async def test_a_tax_sync_records_its_failure_with_the_reason_and_then_its_completion(
    api: httpx.AsyncClient, temporal: Client, engine: Engine
) -> None:
    sw = await build_summary_world(api)
    endpoint = subscribe(engine, sw.seller)
    await put(api, f"/v1/partners/{sw.c3}", partner("C3", "customer", sw.seller, country=None))
    invoice_id = make_invoice(engine, sw, sw.seller, [(sw.c3, 1)])
    answer = await request_summaries(api, sw.seller, [invoice_id])
    [summary_id] = await created(temporal, answer["request_id"])
    await wait_state(api, summary_id, "TaxFailed")
    await put(api, f"/v1/partners/{sw.c3}", partner("C3", "customer", sw.seller, country="FR"))
    retried = await api.post(f"/v1/summary-invoices/{summary_id}/tax-sync/retry")
    assert retried.status_code in {200, 202}, retried.text
    await wait_state(api, summary_id, "TaxCompleted")

    recorded = events(engine, endpoint)
    assert [(kind, subject) for kind, subject, _ in recorded] == [
        ("summary_invoice.tax_failed", f"{summary_id}:1"),
        ("summary_invoice.tax_completed", summary_id),
    ]
    failed, completed = recorded[0][2], recorded[1][2]
    assert "no country" in failed["reason"] and failed["invoice_code"] == completed["invoice_code"]
    assert completed["reference_code"].startswith("TX-")
    assert completed["taxes"] == {"EUR": "2.00"}


async def test_a_month_end_run_records_its_completion_once(
    api: httpx.AsyncClient, temporal: Client, engine: Engine
) -> None:
    w = await recurring_world(api)
    endpoint = subscribe(engine, w.issuer)
    who = await customer(api, w, "C")
    await provisioned_order(
        api,
        temporal,
        w.id("RUN"),
        w.issuer,
        who,
        [{"item_id": "e5", "offer_id": w.e5, "quantity": 2}],
    )
    result, _ = await month_end(api, temporal, w.issuer, this_period())
    [(kind, subject, data)] = events(engine, endpoint)
    assert kind == "billing_run.completed"
    assert subject.startswith(f"{result.run_id}:")  # one per execution of the run
    assert data["invoices_created"] == result.invoices_created == 1
    assert data["lines_invoiced"] == result.lines_invoiced == 1
