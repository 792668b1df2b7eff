"""Pages of one generation written side by side: each round of pages has explicit receiver
bounds, so no receiver is missed or written twice, whether the receivers end inside a round or
exactly on its last bound; and pages that ran at once still number their pre-invoices
gaplessly. The activity runs on real PostgreSQL in Temporal's activity environment, over
subscriptions made through the API."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from sqlalchemy import Engine, text
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment

from activities.pre_invoices import PreInvoiceActivities
from billing.contracts.pre_invoices import GeneratePagesInput
from billing.store.pre_invoice_runs import reserve_run
from tests.delta import delta_world, months, pre_invoices, subscription
from tests.world import partner_body, put

JAN = date(2026, 1, 1)
AS_OF = date(2026, 2, 28)


@pytest.mark.parametrize("receivers", [4, 5])
async def test_side_by_side_pages_bill_every_receiver_once_with_gapless_numbers(
    api: httpx.AsyncClient, temporal: Client, engine: Engine, receivers: int
) -> None:
    w = await delta_world(api, months=months(JAN, 2))
    names = [w.id(f"rcv{n}") for n in range(receivers)]
    for n, who in enumerate(names):
        await put(api, f"/v1/partners/{who}", partner_body(who, "customer", w.issuer))
        await subscription(api, temporal, w, f"S{n}", starts="2026-01-01T00:00:00Z", customer=who)
    with engine.begin() as conn:
        run_id = reserve_run(conn, w.issuer, AS_OF)
    activities = PreInvoiceActivities(engine, parallel_pages=2)
    heartbeats: list[object] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: heartbeats.append(details[0])
    pages = GeneratePagesInput(
        run_id=run_id, issuer_id=w.issuer, as_of=AS_OF, cursor=None, page_size=1, max_pages=100
    )

    done = env.run(activities.generate_pre_invoice_pages, pages)

    # Rounds of two pages of one receiver: the cursor is heartbeaten after each full round.
    # Four receivers end exactly on the second round's last bound, so a third round finds
    # none; a fifth is the third round's only page.
    assert (done.cursor, done.receivers_done) == (None, receivers)
    assert (done.lines_written, done.pre_invoices_created) == (2 * receivers, 2 * receivers)
    in_order = sorted(names)
    assert heartbeats == [in_order[1], in_order[3]]
    made = await pre_invoices(api, w)
    assert sorted(i["receiver_id"] for i in made) == sorted(names * 2)
    numbers = sorted(int(i["number"].rsplit("-", 1)[1]) for i in made)
    assert numbers == list(range(1, 2 * receivers + 1))
    with engine.connect() as conn:
        last = conn.execute(
            text(
                "select last_number from invoice_number_sequences "
                "where issuer_id = :issuer and series like 'PRE%'"
            ),
            {"issuer": w.issuer},
        ).scalar_one()
    assert last == 2 * receivers
    # Run again: every page finds nothing to write.
    again = env.run(activities.generate_pre_invoice_pages, pages)
    assert (again.lines_written, again.pre_invoices_created) == (0, 0)
