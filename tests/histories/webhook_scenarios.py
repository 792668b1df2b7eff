"""Recording scenario for the webhook delivery workflow's committed history."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from billing.contracts.webhooks import WebhookDeliveryResult, WebhookRetryOptions
from billing.store import webhooks
from billing.temporal.webhook_relay import WebhookRelay
from billing.webhook_events import WebhookEventType, delivery_workflow_id
from tests.histories.record import TASK_QUEUE, Recorder
from tests.webhook_receiver import FAIL, webhook_receiver
from tests.world import build_world


async def failed_then_delivered(r: Recorder) -> None:
    """The endpoint fails once, then accepts: two attempts, one delivery."""
    world = await build_world(r.api, "rec-webhook")
    options = WebhookRetryOptions(
        attempt_timeout=timedelta(seconds=2), initial_interval=timedelta(seconds=10)
    )
    relay = WebhookRelay(r.engine, r.client, task_queue=TASK_QUEUE, options=options)
    with webhook_receiver([FAIL]) as receiver:
        with r.engine.begin() as conn:
            webhooks.create_endpoint(
                conn, world.seller, receiver.url, [WebhookEventType.order_invoiced]
            )
            webhooks.record_event(
                conn,
                world.seller,
                WebhookEventType.order_invoiced,
                "REC-1",
                {"order_number": "REC-1"},
            )
            [event] = webhooks.undispatched(conn)
        await relay.dispatch_once()
        handle = r.client.get_workflow_handle(
            delivery_workflow_id(event.event_id, 0), result_type=WebhookDeliveryResult
        )
        with r.env.auto_time_skipping_disabled():
            while (await handle.describe()).close_time is None:
                await asyncio.sleep(0.2)
                await r.env.sleep(timedelta(seconds=5))
        await r.save("webhook_failed_then_delivered", handle.id)


SCENARIOS = {"webhook_failed_then_delivered": failed_then_delivered}
