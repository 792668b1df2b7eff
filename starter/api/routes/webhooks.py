"""Outgoing webhooks: a partner's endpoints, their delivery log, and redelivery."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from billing.contracts.webhooks import (
    CreatedWebhookEndpoint,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointIn,
)
from billing.errors import InvalidRequest
from billing.store import webhooks as store
from billing.webhook_targets import literal_refusal
from starter.api.auth import Principal, can_order, can_read
from starter.api.context import AppContext, get_context

router = APIRouter(prefix="/v1", tags=["webhooks"])


class RedeliveryAccepted(BaseModel):
    event_id: str
    generation: int


@router.post("/webhook-endpoints", status_code=201, response_model=CreatedWebhookEndpoint)
async def register_webhook_endpoint(
    body: WebhookEndpointIn,
    principal: Principal = Depends(can_order),
    ctx: AppContext = Depends(get_context),
) -> CreatedWebhookEndpoint:
    """Register a URL to receive the partner's events (a partner token needs the `orders`
    scope). Each delivery is a signed POST
    (`Billing-Signature: v1=<hex HMAC-SHA256 of "<Billing-Timestamp>.<body>" with the secret>`),
    retried with backoff for hours until it answers 2xx; deduplicate by `Billing-Event-Id`."""
    partner_id = body.partner_id or principal.partner_id
    if partner_id is None:
        raise InvalidRequest("Name the partner whose endpoint this is in `partner_id`.")
    principal.ensure_acts_for(partner_id)
    if not ctx.settings.webhook_allow_private_targets and body.url.host:
        refused = literal_refusal(body.url.host)
        if refused:
            raise InvalidRequest(refused)
    return await ctx.transaction(store.create_endpoint, partner_id, str(body.url), body.events)


@router.get("/webhook-endpoints", response_model=list[WebhookEndpoint])
async def list_webhook_endpoints(
    principal: Principal = Depends(can_read), ctx: AppContext = Depends(get_context)
) -> list[WebhookEndpoint]:
    """The caller's endpoints (all of them for the administrator)."""
    return await ctx.transaction(store.list_endpoints, visible_to=principal.visible_to)


@router.get("/webhook-endpoints/{endpoint_id}/deliveries", response_model=list[WebhookDelivery])
async def list_webhook_deliveries(
    endpoint_id: str,
    limit: int = Query(default=100, ge=1, le=500),
    principal: Principal = Depends(can_read),
    ctx: AppContext = Depends(get_context),
) -> list[WebhookDelivery]:
    """The endpoint's events, newest first, each with its status and every HTTP attempt."""
    return await ctx.transaction(
        store.deliveries, endpoint_id, visible_to=principal.visible_to, limit=limit
    )


@router.post(
    "/webhook-endpoints/{endpoint_id}/deliveries/{event_id}/redeliver",
    status_code=202,
    response_model=RedeliveryAccepted,
)
async def redeliver_webhook_event(
    endpoint_id: str,
    event_id: str,
    principal: Principal = Depends(can_order),
    ctx: AppContext = Depends(get_context),
) -> RedeliveryAccepted:
    """Deliver the event again (same id and body), whatever happened before: a new delivery
    workflow `webhook-<event id>-redelivery-<n>` starts within a second or so."""
    generation = await ctx.transaction(
        store.redeliver, endpoint_id, event_id, visible_to=principal.visible_to
    )
    return RedeliveryAccepted(event_id=event_id, generation=generation)
