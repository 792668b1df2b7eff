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
from billing.webhook_targets import PinnedTarget, pinned, refusal


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
        try:
            pinned_to = pinned_target(target.url, allow_private=self._allow_private_targets)
        except TargetRefused as refused:
            error: str | None = str(refused)
        else:
            status, error = post_event(pinned_to, target.body, headers, input.attempt_timeout)
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


class TargetRefused(Exception):
    """The endpoint may not be called now; the message says why."""


def pinned_target(url: str, *, allow_private: bool) -> PinnedTarget:
    """Where this attempt delivers: the endpoint's name resolved now (it may point elsewhere
    since the last attempt), its addresses checked, and the request pinned to the one checked,
    so a name re-pointed before the connection is made is not followed."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError as failure:
        raise TargetRefused(f"Could not resolve the endpoint's host {host!r}: {failure}.") from None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise TargetRefused(f"The endpoint's host {host!r} does not resolve to any address.")
    if not allow_private and (reason := refusal(host, addresses)) is not None:
        raise TargetRefused(reason)
    return pinned(url, addresses[0])


def post_event(
    target: PinnedTarget, body: bytes, headers: dict[str, str], timeout: timedelta
) -> tuple[int | None, str | None]:
    """One signed POST: its HTTP status (None when nothing answered) and why it is not a
    delivery (None when it is)."""
    try:
        with httpx.Client(timeout=timeout.total_seconds()) as client:
            response = client.post(
                target.url,
                content=body,
                headers={**headers, "Host": target.host_header},
                extensions={"sni_hostname": target.server_name},
            )
    except httpx.TimeoutException:
        return None, f"The endpoint did not answer within {timeout}."
    except httpx.HTTPError as failure:
        return None, f"Could not reach the endpoint: {failure}."
    if not 200 <= response.status_code < 300:
        return response.status_code, f"The endpoint answered HTTP {response.status_code}."
    return response.status_code, None
