"""Webhook endpoints, their delivery log, and the delivery workflow's messages."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from pydantic import AnyHttpUrl, BaseModel, Field, UrlConstraints

from billing.contracts.common import Identifier, Strict
from billing.webhook_events import WebhookEventStatus, WebhookEventType

EndpointUrl = Annotated[AnyHttpUrl, UrlConstraints(max_length=2000)]


class WebhookEndpointIn(Strict):
    url: EndpointUrl
    events: list[WebhookEventType] = Field(min_length=1, max_length=len(WebhookEventType))
    partner_id: Identifier | None = Field(
        default=None,
        description="Whose endpoint this is. A partner token registers its own (leave empty); "
        "the administrator names the partner.",
    )


class WebhookEndpoint(BaseModel):
    id: str
    partner_id: str
    url: str
    events: list[WebhookEventType]
    active: bool
    created_at: datetime


class CreatedWebhookEndpoint(WebhookEndpoint):
    secret: str = Field(
        description="The HMAC-SHA256 key of the `Billing-Signature` header; shown only here."
    )


class WebhookAttempt(BaseModel):
    generation: int
    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int
    succeeded: bool


class WebhookDelivery(BaseModel):
    """One event for one endpoint, with every HTTP attempt made for it."""

    event_id: str
    type: WebhookEventType
    subject: str
    status: WebhookEventStatus
    generation: int
    created_at: datetime
    delivered_at: datetime | None
    attempts: list[WebhookAttempt]


class WebhookRetryOptions(BaseModel):
    """How hard a delivery tries: Temporal retries the POST with exponential backoff until
    `give_up_after` has passed since the first attempt."""

    attempt_timeout: timedelta = timedelta(seconds=10)
    initial_interval: timedelta = timedelta(seconds=10)
    maximum_interval: timedelta = timedelta(hours=1)
    give_up_after: timedelta = timedelta(days=3)


class DeliverWebhookInput(BaseModel):
    event_id: str
    generation: int = 0
    attempt_timeout: timedelta = timedelta(seconds=10)


class GiveUpWebhookInput(BaseModel):
    event_id: str
    generation: int
    reason: str


class WebhookDeliveryInput(BaseModel):
    event_id: str
    generation: int = 0
    options: WebhookRetryOptions = WebhookRetryOptions()


class WebhookDeliveryResult(BaseModel):
    event_id: str
    delivered: bool
    status_code: int | None = None
    reason: str | None = None


class DispatchableEvent(BaseModel):
    """An outbox row whose delivery workflow of its current generation is not started yet."""

    event_id: str
    generation: int
    type: WebhookEventType
    subject: str
