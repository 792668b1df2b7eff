"""A page activity that dies half-way (a worker crash) is retried by Temporal with its last
heartbeat: the retry resumes after the last page it reported, and pages already committed are
neither redone nor invoiced twice. Driven with Temporal's ActivityEnvironment, which delivers
heartbeats to the test and hands the retry its heartbeat details as the server would."""

from __future__ import annotations

import dataclasses

import httpx
from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment

from activities.billing_runs import BillingRunActivities
from billing.contracts.billing_runs import PagesInput, RunStartInput
from billing.vocabulary import RunKind
from tests.recurring import customer, invoices, provisioned_order, recurring_world, this_period


async def test_a_retried_page_activity_resumes_after_its_last_heartbeat(
    api: httpx.AsyncClient, temporal: Client, engine: Engine
) -> None:
    w = await recurring_world(api)
    names = ["A", "B", "C", "D"]
    for name in names:
        who = await customer(api, w, name)
        await provisioned_order(
            api, temporal, w.id(f"O{name}"), w.issuer, who,
            [{"item_id": "1", "offer_id": w.e5, "quantity": 1}],
        )  # fmt: skip
    activities = BillingRunActivities(engine)
    run_id = f"billing-run-{w.issuer}-{this_period()}-crash-test"
    start = RunStartInput(
        run_id=run_id, execution_id="e1", kind=RunKind.month_end, issuer_id=w.issuer,
        period=this_period(),
    )  # fmt: skip
    ActivityEnvironment().run(activities.start_billing_run, start)

    pages = PagesInput(
        run_id=run_id, issuer_id=w.issuer, period=this_period(), cursor=None, page_size=1,
        max_pages=10,
    )  # fmt: skip

    # First attempt: two pages commit and are reported, then the worker dies.
    first = ActivityEnvironment()
    beats: list[str] = []

    def heartbeat(*details: object) -> None:
        beats.append(str(details[0]))
        if len(beats) == 2:
            raise SystemExit("worker crashed")

    first.on_heartbeat = heartbeat
    try:
        first.run(activities.invoice_period_pages, pages)
    except SystemExit:
        pass
    assert beats == [w.id("A"), w.id("B")]
    assert len(await invoices(api, issuer_id=w.issuer)) == 2

    # The retry gets the last heartbeat and carries on after it.
    retry = ActivityEnvironment()
    retry.info = dataclasses.replace(retry.info, heartbeat_details=[beats[-1]], attempt=2)
    done = retry.run(activities.invoice_period_pages, pages)
    assert done.cursor is None
    assert (done.customers_done, done.invoices_created, done.lines_invoiced) == (2, 2, 2)

    made = await invoices(api, issuer_id=w.issuer)
    assert sorted(inv["receiver_id"] for inv in made) == sorted(w.id(n) for n in names)
    shown = (await api.get(f"/v1/billing-runs/{run_id}")).json()
    assert (shown["customers_total"], shown["customers_done"], shown["invoices_created"]) == (
        4,
        4,
        4,
    )
