"""Activities of the webhook delivery workflow: one signed POST per attempt, each logged."""

from __future__ import annotations

import socket
import time
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from billing.contracts.webhooks import DeliverWebhookInput, GiveUpWebhookInput
from billing.store import webhooks
from billing.webhook_signature import signed_headers
from billing.webhook_targets import refusal


class WebhookActivities:
    def __init__(self, engine: Engine, *, allow_private_targets: bool = False) -> None:
        self._engine = engine
        self._allow_private_targets = allow_private_targets

    @activity.defn
    def deliver_webhook(self, input: DeliverWebhookInput) -> int:
        """POST the event; a 2xx answer is delivery. Anything else is logged and raised, so
        Temporal retries with backoff."""
        with self._engine.begin() as conn:
            target = webhooks.delivery_target(conn, input.event_id)
        headers = signed_headers(
            target.secret, int(time.time()), target.body, input.event_id, target.event_type
        )
        started = time.monotonic()
        status: int | None = None
        error = None if self._allow_private_targets else delivery_refusal(target.url)
        if error is None:
            status, error = _post(target.url, target.body, headers, input.attempt_timeout)
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


def delivery_refusal(url: str) -> str | None:
    """Why the endpoint may not be called now, or None. Resolved at every attempt, since a name
    may point elsewhere by now. (A name that changes between this look-up and the connection is
    not caught; pinning the resolved address in the transport would be.)"""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as failure:
        return f"Could not resolve the endpoint's host {host!r}: {failure}."
    return refusal(host, [str(info[4][0]) for info in infos])


def _post(
    url: str, body: bytes, headers: dict[str, str], timeout: timedelta
) -> tuple[int | None, str | None]:
    """One signed POST: its HTTP status (None when nothing answered) and why it is not a
    delivery (None when it is)."""
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=timeout.total_seconds())
    except httpx.TimeoutException:
        return None, f"The endpoint did not answer within {timeout}."
    except httpx.HTTPError as failure:
        return None, f"Could not reach the endpoint: {failure}."
    if not 200 <= response.status_code < 300:
        return response.status_code, f"The endpoint answered HTTP {response.status_code}."
    return response.status_code, None
