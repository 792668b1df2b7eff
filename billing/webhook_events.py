"""The events order systems can subscribe to, and the body every delivery of one carries."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any


class WebhookEventType(StrEnum):
    order_invoiced = "order.invoiced"
    order_stuck = "order.stuck"
    summary_invoice_tax_completed = "summary_invoice.tax_completed"
    summary_invoice_tax_failed = "summary_invoice.tax_failed"
    billing_run_completed = "billing_run.completed"


class WebhookEventStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"


def event_body(event_id: str, event_type: str, created_at: datetime, data: dict[str, Any]) -> bytes:
    """The exact bytes POSTed, the same on every attempt, so a receiver that deduplicates by
    `id` sees one event however many times it arrives."""
    document = {
        "id": event_id,
        "type": event_type,
        "created_at": created_at.isoformat(),
        "data": data,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def delivery_workflow_id(event_id: str, generation: int) -> str:
    """`webhook-<event id>`; an operator's redelivery n runs as `webhook-<event id>-redelivery-n`."""
    base = f"webhook-{event_id}"
    return base if generation == 0 else f"{base}-redelivery-{generation}"
