"""A webhook endpoint that is down for hours still gets its event: on the time-skipping server
the delivery workflow backs off between attempts (10 s doubling to an hour), as in production,
and delivers once the endpoint accepts; an endpoint down for longer than the give-up window
leaves the event failed in the log, ready for an operator's redelivery."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from temporalio.testing import WorkflowEnvironment

from billing.contracts.webhooks import WebhookDeliveryResult, WebhookRetryOptions
from billing.schema import webhook_events
from billing.store import webhooks
from billing.temporal.webhook_relay import WebhookRelay
from billing.webhook_events import WebhookEventType, delivery_workflow_id
from tests.webhook_receiver import ACCEPT, FAIL, TIMEOUT, webhook_receiver
from tests.world import World
from worker import build_worker

# Production's backoff; only the per-call timeout is short so the test spends little real time.
HOURS = WebhookRetryOptions(
    attempt_timeout=timedelta(seconds=1),
    initial_interval=timedelta(seconds=10),
    maximum_interval=timedelta(hours=1),
    give_up_after=timedelta(days=3),
)
STEP = timedelta(minutes=15)


@pytest.fixture
async def skipping_relay(
    time_skipping_env: WorkflowEnvironment, engine: Engine, request: pytest.FixtureRequest
) -> AsyncIterator[WebhookRelay]:
    task_queue = f"webhooks-skip-{uuid.uuid4().hex[:6]}"
    options = getattr(request, "param", HOURS)
    relay = WebhookRelay(engine, time_skipping_env.client, task_queue=task_queue, options=options)
    async with build_worker(
        time_skipping_env.client, engine, task_queue=task_queue, webhook_private_targets=True
    ):
        yield relay


async def finish(
    env: WorkflowEnvironment, event_id: str
) -> tuple[WebhookDeliveryResult, timedelta]:
    """Let Temporal time pass in steps, giving each step's attempt real time to run: left to
    skip on its own, the test server would also jump over the attempts' timeouts."""
    handle = env.client.get_workflow_handle(
        delivery_workflow_id(event_id, 0), result_type=WebhookDeliveryResult
    )
    with env.auto_time_skipping_disabled():
        for _ in range(400):
            description = await handle.describe()
            if description.close_time is not None:
                return await handle.result(), description.close_time - description.start_time
            await asyncio.sleep(0.2)
            await env.sleep(STEP)
    raise AssertionError("the delivery workflow did not finish")


def record(engine: Engine, partner_id: str, url: str, subject: str) -> str:
    with engine.begin() as conn:
        webhooks.create_endpoint(conn, partner_id, url, [WebhookEventType.billing_run_completed])
        webhooks.record_event(
            conn, partner_id, WebhookEventType.billing_run_completed, subject, {"run_id": subject}
        )
        [event] = [e for e in webhooks.undispatched(conn) if e.subject == subject]
    return event.event_id


async def test_an_endpoint_down_for_hours_gets_the_event_when_it_is_back(
    time_skipping_env: WorkflowEnvironment,
    engine: Engine,
    world: World,
    skipping_relay: WebhookRelay,
) -> None:
    down = [FAIL, TIMEOUT] + [FAIL] * 10
    with webhook_receiver(down, hang_seconds=1.5) as receiver:
        event_id = record(engine, world.seller, receiver.url, f"run-{world.suffix}")
        assert await skipping_relay.dispatch_once() >= 1
        result, waited = await finish(time_skipping_env, event_id)
    assert result.delivered and result.status_code == 200
    answers = [r.answer for r in receiver.received]
    assert answers == [*down, ACCEPT]
    assert {r.headers["Billing-Event-Id"] for r in receiver.received} == {event_id}
    # 10 s, 20 s, ... capped at 1 h: twelve waits take more than four hours of Temporal time.
    assert waited > timedelta(hours=4), waited


@pytest.mark.parametrize(
    "skipping_relay",
    [HOURS.model_copy(update={"give_up_after": timedelta(hours=6)})],
    indirect=True,
)
async def test_an_endpoint_down_past_the_give_up_window_leaves_the_event_failed(
    time_skipping_env: WorkflowEnvironment,
    engine: Engine,
    world: World,
    skipping_relay: WebhookRelay,
) -> None:
    with webhook_receiver([FAIL] * 200) as receiver:
        event_id = record(engine, world.seller, receiver.url, f"run-down-{world.suffix}")
        await skipping_relay.dispatch_once()
        result, _ = await finish(time_skipping_env, event_id)
    assert not result.delivered and result.reason
    assert "HTTP 500" in result.reason
    with engine.connect() as conn:
        status = conn.scalar(
            select(webhook_events.c.status).where(webhook_events.c.id == uuid.UUID(event_id))
        )
    assert status == "failed"
    assert len(receiver.received) > 5
