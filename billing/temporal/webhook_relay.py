"""The outbox relay: starts the delivery workflow of every webhook event not yet dispatched.

Events are written in the transaction that makes their fact true, so no workflow code had to
change to emit them; the relay turns each outbox row into `webhook-<event id>`. It runs inside
every worker process. Starting is idempotent (the workflow id refuses a second run), so several
workers, or a crash between the start and the `dispatched_at` update, cause no second delivery
workflow."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy

from billing.contracts.webhooks import DispatchableEvent, WebhookDeliveryInput, WebhookRetryOptions
from billing.store import webhooks
from billing.temporal.executions import start_once
from billing.webhook_events import delivery_workflow_id
from workflows.webhook_delivery import WebhookDeliveryWorkflow

log = logging.getLogger(__name__)


class WebhookRelay:
    def __init__(
        self,
        engine: Engine,
        client: Client,
        *,
        task_queue: str,
        options: WebhookRetryOptions | None = None,
        interval: float = 1.0,
    ) -> None:
        self._engine = engine
        self._client = client
        self._task_queue = task_queue
        self._options = options or WebhookRetryOptions()
        self._interval = interval

    def _pending(self) -> list[DispatchableEvent]:
        with self._engine.begin() as conn:
            return webhooks.undispatched(conn)

    def _dispatched(self, event: DispatchableEvent) -> None:
        with self._engine.begin() as conn:
            webhooks.mark_dispatched(conn, event.event_id, event.generation)

    async def dispatch_once(self) -> int:
        """Start the delivery workflows of the events waiting now; how many were waiting."""
        events = await asyncio.to_thread(self._pending)
        for event in events:
            workflow_id = delivery_workflow_id(event.event_id, event.generation)
            started = await start_once(
                self._client,
                WebhookDeliveryWorkflow.run,
                WebhookDeliveryInput(
                    event_id=event.event_id, generation=event.generation, options=self._options
                ),
                id=workflow_id,
                task_queue=self._task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                static_summary=f"{event.type} {event.subject}",
            )
            if started:  # else another relay, or this one before a crash, started it
                log.info("webhook delivery started", extra={"workflow_id": workflow_id})
            await asyncio.to_thread(self._dispatched, event)
        return len(events)

    async def run(self) -> None:
        """Relay until cancelled; a database or Temporal outage only delays events."""
        while True:
            try:
                if await self.dispatch_once():
                    continue
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook relay: dispatch failed; trying again")
            await asyncio.sleep(self._interval)
