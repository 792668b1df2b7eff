"""One workflow per webhook event: POST it to its endpoint until the endpoint accepts it.

Workflow id `webhook-<event id>` (an operator's redelivery runs as
`webhook-<event id>-redelivery-<n>`). Temporal retries the POST with exponential backoff for
hours; every attempt is logged in `webhook_deliveries`. Delivery is at least once: the receiver
deduplicates by the event id the body and the `Billing-Event-Id` header carry.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.webhooks import WebhookActivities
    from billing.contracts.webhooks import (
        DeliverWebhookInput,
        GiveUpWebhookInput,
        WebhookDeliveryInput,
        WebhookDeliveryResult,
    )
    from workflows import retry_policies

DB_TIMEOUT = timedelta(seconds=30)
# Past the HTTP timeout itself: the activity reports the timeout and logs it, not Temporal.
ATTEMPT_SLACK = timedelta(seconds=15)


@workflow.defn(name="WebhookDelivery")
class WebhookDeliveryWorkflow:
    @workflow.run
    async def run(self, input: WebhookDeliveryInput) -> WebhookDeliveryResult:
        options = input.options
        workflow.set_current_details(f"Delivering event `{input.event_id}`.")
        try:
            status = await workflow.execute_activity_method(
                WebhookActivities.deliver_webhook,
                DeliverWebhookInput(
                    event_id=input.event_id,
                    generation=input.generation,
                    attempt_timeout=options.attempt_timeout,
                ),
                start_to_close_timeout=options.attempt_timeout + ATTEMPT_SLACK,
                schedule_to_close_timeout=options.give_up_after,
                retry_policy=retry_policies.webhook_delivery(options),
                summary="POST the signed event",
            )
        except ActivityError as error:
            reason = str(error.cause or error)
            await workflow.execute_activity_method(
                WebhookActivities.give_up_webhook,
                GiveUpWebhookInput(
                    event_id=input.event_id, generation=input.generation, reason=reason
                ),
                start_to_close_timeout=DB_TIMEOUT,
                retry_policy=retry_policies.DATABASE,
                summary="mark the event failed",
            )
            workflow.set_current_details(
                f"**Gave up** after {options.give_up_after}: {reason} Redeliver with "
                "POST /v1/webhook-endpoints/{id}/deliveries/{event id}/redeliver."
            )
            return WebhookDeliveryResult(event_id=input.event_id, delivered=False, reason=reason)
        workflow.set_current_details(f"Delivered (HTTP {status}).")
        return WebhookDeliveryResult(event_id=input.event_id, delivered=True, status_code=status)
