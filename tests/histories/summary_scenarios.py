"""Recording scenarios for the summary-request and tax-sync workflows' committed histories.

Tax sync's histories are recorded under the name of its current shape (database steps as local
activities); `tax_sync_completed.json` and `tax_sync_failed_then_retried.json` are the first
shape's (three task-queue activities), kept so workflows started before the change still replay.
"""

from __future__ import annotations

from tests.histories.record import Recorder
from tests.summary_world import (
    build_summary_world,
    created,
    make_invoice,
    partner,
    request_summaries,
    wait_state,
)
from tests.world import put
from workflows.summary_request import workflow_id as request_workflow_id
from workflows.tax_sync import workflow_id as tax_workflow_id


async def split_across_customers(r: Recorder) -> None:
    """An invoice for two customers and one for the second: two summaries, one split source."""
    world = await build_summary_world(r.api, "rec-split")
    i1 = make_invoice(r.engine, world, world.seller, [(world.c1, 1), (world.c2, 2)])
    i2 = make_invoice(r.engine, world, world.seller, [(world.c2, 4)])
    answer = await request_summaries(r.api, world.seller, [i1, i2])
    await r.save("summary_request_split", request_workflow_id(answer["request_id"]))
    first, _second = await created(r.client, answer["request_id"])
    await r.save("tax_sync_completed_local_steps", tax_workflow_id(first))


async def tax_failed_then_retried(r: Recorder) -> None:
    """A receiver without a country (invalid address) fails; the operator fixes it and retries."""
    world = await build_summary_world(r.api, "rec-retry")
    await put(
        r.api,
        f"/v1/partners/{world.c3}",
        partner("Customer Three", "customer", world.seller, country=None),
    )
    invoice_id = make_invoice(r.engine, world, world.seller, [(world.c3, 1)])
    answer = await request_summaries(r.api, world.seller, [invoice_id])
    [summary_id] = await created(r.client, answer["request_id"])
    await wait_state(r.api, summary_id, "TaxFailed")
    await put(
        r.api,
        f"/v1/partners/{world.c3}",
        partner("Customer Three", "customer", world.seller, country="FR"),
    )
    response = await r.api.post(f"/v1/summary-invoices/{summary_id}/tax-sync/retry")
    response.raise_for_status()
    await r.save("tax_sync_failed_then_retried_local_steps", tax_workflow_id(summary_id))


SCENARIOS = {
    "summary_request_split": split_across_customers,
    "tax_sync_failed_then_retried": tax_failed_then_retried,
}
