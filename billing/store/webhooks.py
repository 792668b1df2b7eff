"""Webhook endpoints, the event outbox and the delivery log.

`record_event` is called inside the transaction that makes a fact true (an invoice committed, an
order marked stuck, a tax state reached, a run completed), so the event exists exactly when the
fact does; the unique (endpoint, type, subject) key makes a retried transaction write it once.
The outbox relay starts one delivery workflow per row."""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from billing.contracts.webhooks import (
    CreatedWebhookEndpoint,
    DispatchableEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from billing.errors import NotFound
from billing.schema import partners, webhook_deliveries, webhook_endpoints, webhook_events
from billing.store.invoices import parse_uuid
from billing.webhook_events import WebhookEventStatus, WebhookEventType, event_body

SECRET_PREFIX = "whsec_"
Status = WebhookEventStatus


def create_endpoint(
    conn: Connection, partner_id: str, url: str, events: list[WebhookEventType]
) -> CreatedWebhookEndpoint:
    if conn.scalar(select(partners.c.id).where(partners.c.id == partner_id)) is None:
        raise NotFound(f"No partner with id {partner_id!r}.")
    row = (
        conn.execute(
            insert(webhook_endpoints)
            .values(
                partner_id=partner_id,
                url=url,
                events=sorted({event.value for event in events}),
                secret=SECRET_PREFIX + secrets.token_urlsafe(32),
            )
            .returning(webhook_endpoints)
        )
        .mappings()
        .one()
    )
    return CreatedWebhookEndpoint(**_endpoint_fields(row), secret=row["secret"])


def _endpoint_fields(row: Any) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "partner_id": row["partner_id"],
        "url": row["url"],
        "events": row["events"],
        "active": row["active"],
        "created_at": row["created_at"],
    }


def list_endpoints(conn: Connection, *, visible_to: str | None) -> list[WebhookEndpoint]:
    query = select(webhook_endpoints).order_by(
        webhook_endpoints.c.created_at, webhook_endpoints.c.id
    )
    if visible_to is not None:
        query = query.where(webhook_endpoints.c.partner_id == visible_to)
    return [WebhookEndpoint(**_endpoint_fields(row)) for row in conn.execute(query).mappings()]


def get_endpoint(conn: Connection, endpoint_id: str, *, visible_to: str | None) -> WebhookEndpoint:
    """Another partner's endpoint reads as not found: a refusal never confirms it exists."""
    query = select(webhook_endpoints).where(
        webhook_endpoints.c.id == parse_uuid(endpoint_id, "webhook endpoint")
    )
    if visible_to is not None:
        query = query.where(webhook_endpoints.c.partner_id == visible_to)
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"No webhook endpoint with id {endpoint_id!r}.")
    return WebhookEndpoint(**_endpoint_fields(row))


# Built once: every transaction that completes a piece of business work records its event, and
# assembling the insert-select with SQLAlchemy's builders each time cost more than running it.
_RECORD_EVENT = text(
    """
    insert into webhook_events (endpoint_id, type, subject, data)
    select e.id, :type, :subject, cast(:data as jsonb)
    from webhook_endpoints e
    where e.partner_id = :partner_id and e.active and :type = any(e.events)
    on conflict (endpoint_id, type, subject) do nothing
    """
)


def record_event(
    conn: Connection,
    partner_id: str,
    event_type: WebhookEventType,
    subject: str,
    data: dict[str, Any],
) -> int:
    """One outbox row per active endpoint of the partner subscribed to the event; how many."""
    result = conn.execute(
        _RECORD_EVENT,
        {
            "partner_id": partner_id,
            "type": event_type.value,
            "subject": subject,
            "data": json.dumps(data, default=str),
        },
    )
    return result.rowcount or 0


def undispatched(conn: Connection, *, limit: int = 100) -> list[DispatchableEvent]:
    rows = conn.execute(
        select(
            webhook_events.c.id,
            webhook_events.c.generation,
            webhook_events.c.type,
            webhook_events.c.subject,
        )
        .where(webhook_events.c.dispatched_at.is_(None))
        .order_by(webhook_events.c.created_at)
        .limit(limit)
    ).all()
    return [
        DispatchableEvent(
            event_id=str(row.id), generation=row.generation, type=row.type, subject=row.subject
        )
        for row in rows
    ]


def mark_dispatched(conn: Connection, event_id: str, generation: int) -> None:
    conn.execute(
        update(webhook_events)
        .where(
            webhook_events.c.id == parse_uuid(event_id, "webhook event"),
            webhook_events.c.generation == generation,
        )
        .values(dispatched_at=func.now())
    )


@dataclass(frozen=True)
class DeliveryTarget:
    url: str
    secret: str
    event_type: str
    body: bytes


def delivery_target(conn: Connection, event_id: str) -> DeliveryTarget:
    row = conn.execute(
        select(
            webhook_endpoints.c.url,
            webhook_endpoints.c.secret,
            webhook_events.c.type,
            webhook_events.c.created_at,
            webhook_events.c.data,
        )
        .join(webhook_endpoints, webhook_endpoints.c.id == webhook_events.c.endpoint_id)
        .where(webhook_events.c.id == parse_uuid(event_id, "webhook event"))
    ).one()
    return DeliveryTarget(
        url=row.url,
        secret=row.secret,
        event_type=row.type,
        body=event_body(event_id, row.type, row.created_at, row.data),
    )


def record_attempt(
    conn: Connection,
    event_id: str,
    *,
    generation: int,
    attempt: int,
    status_code: int | None,
    error: str | None,
    duration_ms: int,
    succeeded: bool,
) -> None:
    """Log one HTTP attempt; a successful one also marks the event delivered."""
    eid = parse_uuid(event_id, "webhook event")
    conn.execute(
        insert(webhook_deliveries).values(
            event_id=eid,
            generation=generation,
            attempt=attempt,
            status_code=status_code,
            error=error,
            duration_ms=duration_ms,
            succeeded=succeeded,
        )
    )
    if succeeded:
        conn.execute(
            update(webhook_events)
            .where(webhook_events.c.id == eid)
            .values(status=Status.delivered.value, delivered_at=func.now())
        )


def mark_failed(conn: Connection, event_id: str, generation: int) -> None:
    """The delivery gave up: an operator may redeliver it. A delivered event stays delivered,
    and a give-up of an older generation leaves a redelivery under way alone."""
    conn.execute(
        update(webhook_events)
        .where(
            webhook_events.c.id == parse_uuid(event_id, "webhook event"),
            webhook_events.c.status == Status.pending.value,
            webhook_events.c.generation == generation,
        )
        .values(status=Status.failed.value)
    )


def deliveries(
    conn: Connection, endpoint_id: str, *, visible_to: str | None, limit: int = 100
) -> list[WebhookDelivery]:
    """The endpoint's newest events first, each with its attempts in order."""
    endpoint = get_endpoint(conn, endpoint_id, visible_to=visible_to)
    events = (
        conn.execute(
            select(webhook_events)
            .where(webhook_events.c.endpoint_id == uuid.UUID(endpoint.id))
            .order_by(webhook_events.c.created_at.desc(), webhook_events.c.id)
            .limit(limit)
        )
        .mappings()
        .all()
    )
    attempts: dict[uuid.UUID, list[WebhookAttempt]] = {row["id"]: [] for row in events}
    if attempts:
        for row in conn.execute(
            select(webhook_deliveries)
            .where(webhook_deliveries.c.event_id.in_(list(attempts)))
            .order_by(webhook_deliveries.c.id)
        ).mappings():
            attempts[row["event_id"]].append(
                WebhookAttempt(
                    generation=row["generation"],
                    attempt=row["attempt"],
                    at=row["at"],
                    status_code=row["status_code"],
                    error=row["error"],
                    duration_ms=row["duration_ms"],
                    succeeded=row["succeeded"],
                )
            )
    return [
        WebhookDelivery(
            event_id=str(row["id"]),
            type=row["type"],
            subject=row["subject"],
            status=row["status"],
            generation=row["generation"],
            created_at=row["created_at"],
            delivered_at=row["delivered_at"],
            attempts=attempts[row["id"]],
        )
        for row in events
    ]


def redeliver(conn: Connection, endpoint_id: str, event_id: str, *, visible_to: str | None) -> int:
    """Queue the event again as a new generation; the relay starts its delivery workflow."""
    endpoint = get_endpoint(conn, endpoint_id, visible_to=visible_to)
    generation = conn.scalar(
        update(webhook_events)
        .where(
            webhook_events.c.id == parse_uuid(event_id, "webhook event"),
            webhook_events.c.endpoint_id == uuid.UUID(endpoint.id),
        )
        .values(
            generation=webhook_events.c.generation + 1,
            status=Status.pending.value,
            dispatched_at=None,
        )
        .returning(webhook_events.c.generation)
    )
    if generation is None:
        raise NotFound(f"No event {event_id!r} for webhook endpoint {endpoint_id!r}.")
    return int(generation)
