"""Delta invoicing end to end on real Temporal and PostgreSQL, driven through the API: the
first generation bills full months, later ones only the +/- difference per subscription and
month, into pre-invoices of the accounting period that holds the month."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from temporalio.client import Client

from billing.contracts.pre_invoices import PreInvoiceProgress, PreInvoiceRunResult
from billing.store.pre_invoice_runs import reserve_run
from billing.store.pre_invoices import DeltaWrittenMeanwhile, generate_page
from tests.delta import (
    ADMIN_OF_ITS_BILLING,
    delta_world,
    generate,
    lines_by_month,
    months,
    period_id,
    pre_invoices,
    put_period,
    subscription,
)
from tests.recurring import customer, provisioned_order, recurring_world

JAN, FEB, MAR, APR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)


async def patch(api: httpx.AsyncClient, sub: dict, **body: object) -> dict:
    response = await api.patch(f"/v1/subscriptions/{sub['id']}", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_the_first_generation_bills_full_months_and_later_ones_only_the_difference(
    api: httpx.AsyncClient, temporal: Client
) -> None:
    w = await delta_world(api, months=months(JAN, 3))
    sub = await subscription(api, temporal, w, "S1", starts="2026-01-01T00:00:00Z", quantity=2)

    # The order billed nothing itself: the subscription is billed per month by generation.
    billings = (await api.get("/v1/billings", params={"issuer_id": w.issuer})).json()["items"]
    assert billings == []

    run_id, _, shown = await generate(api, temporal, w, "2026-03-15")
    assert run_id == f"pre-invoice-run-{w.issuer}-2026-03-15-1"
    assert (shown["status"], shown["pre_invoices_created"], shown["lines_written"]) == (
        "completed",
        3,
        3,
    )
    first = await pre_invoices(api, w, receiver_id=w.customer)
    assert sorted(i["accounting_period_id"] for i in first) == [
        period_id(w, m) for m in months(JAN, 3)
    ]
    assert {(i["type"], i["status"], i["total"]) for i in first} == {
        ("pre_invoice", "open", "62.00")
    }
    [line] = first[0]["lines"]
    assert line["subscription_id"] == sub["id"] and line["delta"] is False
    assert (line["quantity"], line["unit_price"]) == (2, "31.00")
    assert (line["period_start"], line["period_end"]) in {
        ("2026-01-01", "2026-01-31"),
        ("2026-02-01", "2026-02-28"),
        ("2026-03-01", "2026-03-31"),
    }

    # Two changes between generations net out into one line per month: 4 x 31 - 62 = +62.
    await patch(api, sub, quantity=3)
    changed = await patch(api, sub, quantity=4)
    assert "pre-invoice generation bills only the difference" in changed["billing_effect"]
    await generate(api, temporal, w, "2026-03-15")
    second = await pre_invoices(api, w, receiver_id=w.customer)
    by_month = lines_by_month(second)
    for month in months(JAN, 3):
        assert by_month[(sub["id"], month.isoformat())] == ["62.00", "62.00"]
    differences = [line for i in second for line in i["lines"] if line["delta"]]
    assert len(differences) == 3 and {line["quantity"] for line in differences} == {4}

    # No financial effect, or nothing changed: nothing is written.
    unchanged = await patch(api, sub, bill_to_contact="Accounts payable", quantity=4)
    assert unchanged["billing_effect"].startswith("No financial effect")
    _, again, shown = await generate(api, temporal, w, "2026-03-15")
    assert (again.lines_written, again.pre_invoices_created) == (0, 0)
    assert (shown["lines_written"], shown["pre_invoices_created"]) == (0, 0)
    assert len(await pre_invoices(api, w, receiver_id=w.customer)) == len(second)


async def test_a_closed_period_refuses_nothing_open_and_later_deltas_land_in_the_next_open_one(
    api: httpx.AsyncClient, temporal: Client
) -> None:
    w = await delta_world(api, months=months(JAN, 3))
    sub = await subscription(api, temporal, w, "S1", starts="2026-01-01T00:00:00Z", quantity=4)
    await generate(api, temporal, w, "2026-03-15")
    [january] = [
        i for i in await pre_invoices(api, w) if i["accounting_period_id"] == period_id(w, JAN)
    ]

    refused = await put_period(api, w, JAN, closed=True)
    assert refused.status_code == 409
    assert (
        january["number"] in refused.json()["detail"] and january["id"] in refused.json()["detail"]
    )
    shown = await api.get(f"/v1/accounting-periods/{period_id(w, JAN)}")
    assert shown.json()["invoicing_closed"] is False  # nothing saved

    finalized = await api.post(f"/v1/invoices/{january['id']}/finalize")
    assert finalized.status_code == 200 and finalized.json()["status"] == "final"
    assert (await api.post(f"/v1/invoices/{january['id']}/finalize")).status_code == 200
    closed = await put_period(api, w, JAN, closed=True)
    assert closed.status_code == 200, closed.text

    # A new price from the start: January's difference (4 x 9 = +36) lands in February's
    # period, the first open one after January's, and keeps its own service period.
    await patch(api, sub, unit_price="40.00")
    await generate(api, temporal, w, "2026-03-15")
    lines = [
        (i["accounting_period_id"], line["period_start"], line["amount"])
        for i in await pre_invoices(api, w)
        for line in i["lines"]
        if line["delta"]
    ]
    assert sorted(lines) == [
        (period_id(w, FEB), "2026-01-01", "36.00"),
        (period_id(w, FEB), "2026-02-01", "36.00"),
        (period_id(w, MAR), "2026-03-01", "36.00"),
    ]

    # Cancelled from 16 March: March is credited by day (16 of 31 days remain unbilled);
    # February, already billed in full, is left alone.
    cancelled = await api.post(
        f"/v1/subscriptions/{sub['id']}/cancel", json={"effective_at": "2026-03-16T00:00:00Z"}
    )
    assert cancelled.status_code == 200, cancelled.text
    assert "credits the months after it" in cancelled.json()["billing_effect"]
    _, result, _ = await generate(api, temporal, w, "2026-03-31")
    assert result.lines_written == 1
    march = lines_by_month(await pre_invoices(api, w))[(sub["id"], "2026-03-01")]
    # should be 4 x 40 x 15/31 = 77.42; billed 124.00 + 36.00 -> -82.58
    assert march == ["124.00", "36.00", "-82.58"]
    assert sum(Decimal(a) for a in march) == Decimal("77.42")


async def test_a_pre_invoice_without_its_period_gets_it_from_the_next_generation(
    api: httpx.AsyncClient, temporal: Client
) -> None:
    w = await delta_world(api, months=[JAN])
    await subscription(api, temporal, w, "S1", starts="2026-04-10T00:00:00Z")
    await generate(api, temporal, w, "2026-04-30")
    [waiting] = await pre_invoices(api, w)
    assert waiting["accounting_period_id"] is None
    assert [line["amount"] for line in waiting["lines"]] == ["21.70"]  # 31.00 x 21/30

    assert (await put_period(api, w, APR)).status_code == 200
    _, result, _ = await generate(api, temporal, w, "2026-04-30")
    assert result.lines_written == 0
    [assigned] = await pre_invoices(api, w)
    assert assigned["id"] == waiting["id"]
    assert assigned["accounting_period_id"] == period_id(w, APR)


async def test_a_later_start_credits_months_no_longer_in_the_runtime(
    api: httpx.AsyncClient, temporal: Client
) -> None:
    w = await delta_world(api, months=months(JAN, 2))
    sub = await subscription(api, temporal, w, "S1", starts="2026-01-01T00:00:00Z")
    await generate(api, temporal, w, "2026-02-28")
    later = await patch(api, sub, starts_at="2026-02-15T00:00:00Z")
    assert later["starts_at"].startswith("2026-02-15")
    await generate(api, temporal, w, "2026-02-28")
    by_month = lines_by_month(await pre_invoices(api, w))
    assert by_month[(sub["id"], "2026-01-01")] == ["31.00", "-31.00"]
    # 14 of February's 28 days: 15.50 should be billed.
    assert by_month[(sub["id"], "2026-02-01")] == ["31.00", "-15.50"]


async def test_two_generations_at_once_never_write_a_delta_twice(
    api: httpx.AsyncClient, temporal: Client, engine: Engine
) -> None:
    w = await delta_world(api, months=months(JAN, 3))
    subs = [
        await subscription(api, temporal, w, f"S{n}", starts="2026-01-10T00:00:00Z", quantity=n)
        for n in (1, 2, 3)
    ]
    started = await asyncio.gather(
        *[
            api.post("/v1/pre-invoice-runs", json={"issuer_id": w.issuer, "as_of": "2026-03-01"})
            for _ in range(3)
        ]
    )
    run_ids = sorted(r.json()["run_id"] for r in started)
    assert run_ids == [f"pre-invoice-run-{w.issuer}-2026-03-01-{n}" for n in (1, 2, 3)]
    results = [
        await temporal.get_workflow_handle(run_id, result_type=PreInvoiceRunResult).result()
        for run_id in run_ids
    ]
    assert sum(r.lines_written for r in results) == 9  # 3 subscriptions x 3 months, once
    by_month = lines_by_month(await pre_invoices(api, w))
    assert all(len(amounts) == 1 for amounts in by_month.values())
    assert len(by_month) == 9

    # The database itself refuses a second line with the same subscription, month and sequence.
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text(
                "insert into pre_invoice_lines (subscription_id, period_start, period_end, "
                "sequence, invoice_id, quantity, unit_price, amount) "
                "select subscription_id, period_start, period_end, sequence, invoice_id, "
                "quantity, unit_price, amount from pre_invoice_lines "
                "where subscription_id = :sub limit 1"
            ),
            {"sub": subs[0]["id"]},
        )


async def test_a_generation_is_operable_in_temporal(
    api: httpx.AsyncClient, temporal: Client
) -> None:
    w = await delta_world(api, months=[JAN])
    await subscription(api, temporal, w, "S1", starts="2026-01-01T00:00:00Z")
    run_id, _, _ = await generate(api, temporal, w, "2026-01-31")
    handle = temporal.get_workflow_handle(run_id)
    progress = await handle.query("progress", result_type=PreInvoiceProgress)
    assert (progress.receivers_total, progress.receivers_done, progress.lines_written) == (1, 1, 1)
    described = await handle.describe()
    attributes = {key.name: value for key, value in described.typed_search_attributes}
    assert attributes["IssuerId"] == w.issuer
    assert attributes["BillingState"] == "Generated"
    assert attributes["BillingPeriod"] == "2026-01-31"


async def test_generation_is_refused_for_an_issuer_without_delta_invoicing(
    api: httpx.AsyncClient,
) -> None:
    w = await delta_world(api, months=[JAN], enable=False)
    refused = await api.post(
        "/v1/pre-invoice-runs", json={"issuer_id": w.issuer, "as_of": "2026-01-31"}
    )
    assert refused.status_code == 409 and "delta-invoicing" in refused.json()["detail"]
    missing = await api.get(f"/v1/pre-invoice-runs/pre-invoice-run-{w.issuer}-2026-01-31-1")
    assert missing.status_code == 404


async def test_without_delta_invoicing_a_change_says_when_it_reaches_the_bill(
    api: httpx.AsyncClient, temporal: Client
) -> None:
    w = await recurring_world(api)
    who = await customer(api, w, "C", renewal_order_days=30)
    number = w.id("O")
    await provisioned_order(
        api, temporal, number, w.issuer, who, [{"item_id": "e5", "offer_id": w.e5, "quantity": 1}]
    )
    subs = (await api.get("/v1/subscriptions", params={"customer_id": who})).json()["items"]
    [sub] = [s for s in subs if s["order_number"] == number]

    more = await patch(api, sub, quantity=5)
    assert "from the next renewal" in more["billing_effect"]
    assert "30 days before" in more["billing_effect"] and "upgrade order" in more["billing_effect"]
    for change in ({"unit_price": "10.00"}, {"starts_at": "2026-01-01T00:00:00Z"}):
        refused = await api.patch(f"/v1/subscriptions/{sub['id']}", json=change)
        assert refused.status_code == 409
        assert "upgrade order" in refused.json()["detail"]
        assert "delta invoicing" in refused.json()["detail"]
    cancelled = await api.post(
        f"/v1/subscriptions/{sub['id']}/cancel", json={"effective_at": "2099-01-01T00:00:00Z"}
    )
    assert cancelled.status_code == 200
    assert "nothing is credited" in cancelled.json()["billing_effect"]
    assert cancelled.json()["cancelled_at"]
    again = await api.post(
        f"/v1/subscriptions/{sub['id']}/cancel", json={"effective_at": "2099-01-01T00:00:00Z"}
    )
    assert again.status_code == 409


async def test_a_partner_sees_and_runs_only_its_own_generations_and_pre_invoices(
    api: httpx.AsyncClient, temporal: Client
) -> None:
    w = await delta_world(api, months=[JAN])
    other = await delta_world(api, months=[JAN])
    await subscription(api, temporal, w, "S1", starts="2026-01-01T00:00:00Z")
    run_id, _, _ = await generate(api, temporal, w, "2026-01-31")
    [pre_invoice] = await pre_invoices(api, w)

    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    issuer = bearer(
        (await api.post(f"/v1/partners/{w.issuer}/tokens", json=ADMIN_OF_ITS_BILLING)).json()[
            "token"
        ]
    )
    stranger = bearer(
        (await api.post(f"/v1/partners/{other.issuer}/tokens", json=ADMIN_OF_ITS_BILLING)).json()[
            "token"
        ]
    )
    receiver = bearer(
        (await api.post(f"/v1/partners/{w.customer}/tokens", json=ADMIN_OF_ITS_BILLING)).json()[
            "token"
        ]
    )

    assert (await api.get(f"/v1/pre-invoice-runs/{run_id}", headers=issuer)).status_code == 200
    assert (await api.get(f"/v1/pre-invoice-runs/{run_id}", headers=stranger)).status_code == 404
    foreign = await api.post(
        "/v1/pre-invoice-runs",
        json={"issuer_id": w.issuer, "as_of": "2026-01-31"},
        headers=stranger,
    )
    assert foreign.status_code == 404
    seen = await api.get(f"/v1/invoices/{pre_invoice['id']}", headers=receiver)
    assert seen.status_code == 200 and seen.json()["type"] == "pre_invoice"
    path = f"/v1/invoices/{pre_invoice['id']}/finalize"
    assert (await api.post(path, headers=stranger)).status_code == 404
    assert (await api.post(path, headers=receiver)).status_code == 403
    assert (await api.post(path, headers=issuer)).json()["status"] == "final"


async def test_a_later_month_is_billed_and_a_generation_of_an_earlier_day_leaves_the_rest_due(
    api: httpx.AsyncClient, temporal: Client
) -> None:
    w = await delta_world(api, months=months(JAN, 2))
    sub = await subscription(api, temporal, w, "S1", starts="2026-01-01T00:00:00Z")
    await generate(api, temporal, w, "2026-01-31")
    _, february, _ = await generate(api, temporal, w, "2026-02-28")
    assert february.lines_written == 1  # February came due; January is unchanged
    await patch(api, sub, quantity=2)
    _, earlier, _ = await generate(api, temporal, w, "2026-01-31")
    assert earlier.lines_written == 1  # January's difference only
    _, later, _ = await generate(api, temporal, w, "2026-02-28")
    assert later.lines_written == 1  # February's difference is still due
    by_month = lines_by_month(await pre_invoices(api, w))
    assert by_month[(sub["id"], "2026-01-01")] == ["31.00", "31.00"]
    assert by_month[(sub["id"], "2026-02-01")] == ["31.00", "31.00"]
    _, nothing, _ = await generate(api, temporal, w, "2026-02-28")
    assert nothing.lines_written == 0


async def test_a_page_that_loses_a_line_to_another_writer_writes_nothing(
    api: httpx.AsyncClient, temporal: Client, engine: Engine
) -> None:
    """Another writer holds January's first line of the subscription, uncommitted; the page
    computes the same line, waits on the primary key, finds it taken once the other commits,
    and rolls back whole instead of writing a pre-invoice without that line."""
    w = await delta_world(api, months=months(JAN, 2))
    sub = await subscription(api, temporal, w, "S1", starts="2026-01-01T00:00:00Z")
    with engine.begin() as conn:
        run_id = reserve_run(conn, w.issuer, date(2026, 2, 28))
    other = engine.connect()
    other.begin()
    invoice = other.execute(
        text(
            "insert into invoices (number, type, status, issuer_id, receiver_id, currency, "
            "subtotal, total) values ('X-1', 'pre_invoice', 'open', :issuer, :receiver, 'EUR', "
            "31.00, 31.00) returning id"
        ),
        {"issuer": w.issuer, "receiver": w.customer},
    ).scalar_one()
    other.execute(
        text(
            "insert into pre_invoice_lines (subscription_id, period_start, period_end, sequence, "
            "invoice_id, quantity, unit_price, amount) "
            "values (:sub, '2026-01-01', '2026-01-31', 1, :invoice, 1, 31.00, 31.00)"
        ),
        {"sub": sub["id"], "invoice": invoice},
    )

    def page() -> None:
        with engine.begin() as conn:
            generate_page(
                conn,
                run_id=run_id,
                issuer_id=w.issuer,
                as_of=date(2026, 2, 28),
                cursor=None,
                page_size=10,
            )

    waiting = asyncio.create_task(asyncio.to_thread(page))
    await asyncio.sleep(0.5)
    assert not waiting.done()  # blocked on the other writer's line
    other.commit()
    other.close()
    with pytest.raises(DeltaWrittenMeanwhile):
        await waiting
    # Only the other writer's line exists; the retried page now writes February alone.
    assert [(i["number"], len(i["lines"])) for i in await pre_invoices(api, w)] == [("X-1", 1)]
    with engine.begin() as conn:
        done = generate_page(
            conn,
            run_id=run_id,
            issuer_id=w.issuer,
            as_of=date(2026, 2, 28),
            cursor=None,
            page_size=10,
        )
    assert done.lines_written == 1


async def test_a_cancellation_credits_every_month_after_it_in_full(
    api: httpx.AsyncClient, temporal: Client, engine: Engine
) -> None:
    w = await delta_world(api, months=months(JAN, 3))
    sub = await subscription(api, temporal, w, "S1", starts="2026-01-01T00:00:00Z", quantity=2)
    await generate(api, temporal, w, "2026-03-31")
    cancelled = await api.post(
        f"/v1/subscriptions/{sub['id']}/cancel", json={"effective_at": "2026-02-01T00:00:00Z"}
    )
    assert cancelled.json()["ends_at"].startswith("2026-02-01")
    await generate(api, temporal, w, "2026-03-31")
    by_month = lines_by_month(await pre_invoices(api, w))
    assert by_month[(sub["id"], "2026-01-01")] == ["62.00"]
    assert by_month[(sub["id"], "2026-02-01")] == ["62.00", "-62.00"]
    assert by_month[(sub["id"], "2026-03-01")] == ["62.00", "-62.00"]
    # Pre-invoices never carry the month-end run's unique grouping key.
    with engine.connect() as conn:
        keyed = conn.execute(
            text(
                "select count(*) from invoices where issuer_id = :issuer "
                "and type = 'pre_invoice' and grouping_key is not null"
            ),
            {"issuer": w.issuer},
        ).scalar_one()
    assert keyed == 0


async def test_subscriptions_sold_before_delta_invoicing_keep_their_order_billing(
    api: httpx.AsyncClient, temporal: Client
) -> None:
    w = await delta_world(api, months=[JAN], enable=False)
    before = await subscription(api, temporal, w, "OLD", starts="2026-01-01T00:00:00Z")
    billed_by_order = (await api.get("/v1/billings", params={"issuer_id": w.issuer})).json()
    assert [line["subscription_id"] for line in billed_by_order["items"]] == [before["id"]]
    enabled = await api.post(f"/v1/partners/{w.issuer}/delta-invoicing", json={})
    assert enabled.status_code == 200
    after = await subscription(api, temporal, w, "NEW", starts="2026-01-01T00:00:00Z")

    _, result, _ = await generate(api, temporal, w, "2026-01-31")
    # Only the one sold with delta invoicing on: the other was billed by its order already.
    assert result.lines_written == 1
    assert list(lines_by_month(await pre_invoices(api, w))) == [(after["id"], "2026-01-01")]
    old_price = await api.patch(f"/v1/subscriptions/{before['id']}", json={"unit_price": "1.00"})
    assert old_price.status_code == 409 and "upgrade order" in old_price.json()["detail"]
