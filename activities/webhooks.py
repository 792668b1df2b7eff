"""Activities of the webhook delivery workflow: one signed POST per attempt, each logged."""

from __future__ import annotations

import time

import httpx
from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from billing.contracts.webhooks import DeliverWebhookInput, GiveUpWebhookInput
from billing.store import webhooks
from billing.webhook_signature import signed_headers


class WebhookActivities:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn
    def deliver_webhook(self, input: DeliverWebhookInput) -> int:
        """POST the event; a 2xx answer is delivery. Anything else is logged and raised, so
        Temporal retries with backoff."""
        with self._engine.connect() as conn:
            target = webhooks.delivery_target(conn, input.event_id)
        headers = signed_headers(
            target.secret, int(time.time()), target.body, input.event_id, target.event_type
        )
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            response = httpx.post(
                target.url,
                content=target.body,
                headers=headers,
                timeout=input.attempt_timeout.total_seconds(),
            )
            status = response.status_code
            if not 200 <= status < 300:
                error = f"The endpoint answered HTTP {status}."
        except httpx.TimeoutException:
            error = f"The endpoint did not answer within {input.attempt_timeout}."
        except httpx.HTTPError as failure:
            error = f"Could not reach the endpoint: {failure}."
        with self._engine.begin() as conn:
            webhooks.record_attempt(
                conn,
                input.event_id,
                generation=input.generation,
                attempt=activity.info().attempt,
                status_code=status,
                error=error,
                duration_ms=int((time.monotonic() - started) * 1000),
                succeeded=error is None,
            )
        if error is not None:
            activity.logger.warning(
                "webhook not accepted: %s",
                error,
                extra={"event_id": input.event_id, "status": status},
            )
            raise ApplicationError(error, type="WebhookNotAccepted")
        activity.logger.info(
            "webhook delivered", extra={"event_id": input.event_id, "status": status}
        )
        assert status is not None
        return status

    @activity.defn
    def give_up_webhook(self, input: GiveUpWebhookInput) -> None:
        with self._engine.begin() as conn:
            webhooks.mark_failed(conn, input.event_id, input.generation)
