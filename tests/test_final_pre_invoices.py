"""A finalized pre-invoice never gains a line or changes its amounts, whether the next delta
comes from a later generation or from a retried page of the generation that made it: the delta
lands in a new open pre-invoice, and nothing is written twice. On real PostgreSQL and
Temporal, finalizing through the API, pages driven through the store."""

from __future__ import annotations

import asyncio
from datetime import date

import httpx
import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError
from temporalio.client import Client

from billing.store.pre_invoice_runs import reserve_run
from billing.store.pre_invoices import PageDone, generate_page
from tests.delta import DeltaWorld, delta_world, generate, months, pre_invoices, subscription

JAN = date(2026, 1, 1)
AS_OF = date(2026, 2, 28)


def _page(engine: Engine, run_id: str, issuer: str, as_of: date = AS_OF) -> PageDone:
    with engine.begin() as conn:
        return generate_page(
            conn, run_id=run_id, issuer_id=issuer, as_of=as_of, cursor=None, page_size=10
        )


def _lines(conn: Connection, invoice_id: str) -> list[tuple[str, int, str]]:
    return [
        (str(r.period_start), r.sequence, str(r.amount))
        for r in conn.execute(
            text(
                "select period_start, sequence, amount from pre_invoice_lines "
                "where invoice_id = :id order by period_start, sequence"
            ),
            {"id": invoice_id},
        )
    ]


async def _patch_quantity(api: httpx.AsyncClient, sub: dict, quantity: int) -> None:
    response = await api.patch(f"/v1/subscriptions/{sub['id']}", json={"quantity": quantity})
    assert response.status_code == 200, response.text


async def _finalize(api: httpx.AsyncClient, invoice: dict) -> None:
    response = await api.post(f"/v1/invoices/{invoice['id']}/finalize")
    assert response.status_code == 200 and response.json()["status"] == "final", response.text


async def test_a_retried_page_puts_its_delta_beside_a_pre_invoice_finalized_meanwhile(
    api: httpx.AsyncClient, temporal: Client, engine: Engine
) -> None:
    w = await delta_world(api, months=months(JAN, 2))
    sub = await subscription(api, temporal, w, "S1", starts="2026-01-01T00:00:00Z")
    with engine.begin() as conn:
        run_id = reserve_run(conn, w.issuer, AS_OF)
    first = _page(engine, run_id, w.issuer)
    assert (first.pre_invoices_created, first.lines_written) == (2, 2)
    [january, february] = sorted(await pre_invoices(api, w), key=lambda i: i["number"])
    await _finalize(api, january)
    await _patch_quantity(api, sub, 2)

    # The same page again, as a retried activity runs it: January's difference cannot join the
    # final pre-invoice, so it gets a new open one; February's joins its open one.
    again = _page(engine, run_id, w.issuer)
    assert (again.pre_invoices_created, again.lines_written) == (1, 2)
    after = {i["id"]: i for i in await pre_invoices(api, w)}
    assert after[january["id"]]["status"] == "final"
    assert after[january["id"]]["total"] == january["total"] == "31.00"
    with engine.connect() as conn:
        assert _lines(conn, january["id"]) == [("2026-01-01", 1, "31.00")]
        assert _lines(conn, february["id"]) == [
            ("2026-02-01", 1, "31.00"),
            ("2026-02-01", 2, "31.00"),
        ]
        [new] = [i for i in after.values() if i["id"] not in (january["id"], february["id"])]
        assert (new["status"], new["total"]) == ("open", "31.00")
        assert new["accounting_period_id"] == january["accounting_period_id"]
        assert _lines(conn, new["id"]) == [("2026-01-01", 2, "31.00")]
    # Nothing left to write, however often the page is retried.
    assert _page(engine, run_id, w.issuer).lines_written == 0
    assert len(await pre_invoices(api, w)) == 3


async def test_a_finalize_in_progress_makes_the_page_wait_and_then_open_a_new_pre_invoice(
    api: httpx.AsyncClient, temporal: Client, engine: Engine
) -> None:
    """The finalize holds its pre-invoice's row, uncommitted, while the retried page runs: the
    page waits for it, then sees the pre-invoice final and writes beside it."""
    w = await delta_world(api, months=months(JAN, 1))
    sub = await subscription(api, temporal, w, "S1", starts="2026-01-01T00:00:00Z")
    with engine.begin() as conn:
        run_id = reserve_run(conn, w.issuer, date(2026, 1, 31))

    def page() -> PageDone:
        return _page(engine, run_id, w.issuer, date(2026, 1, 31))

    assert page().lines_written == 1
    [january] = await pre_invoices(api, w)
    await _patch_quantity(api, sub, 3)
    finalizing = engine.connect()
    finalizing.begin()
    finalizing.execute(
        text("select id from invoices where id = :id for update"), {"id": january["id"]}
    )
    finalizing.execute(
        text("update invoices set status = 'final', finalized_at = now() where id = :id"),
        {"id": january["id"]},
    )
    waiting = asyncio.create_task(asyncio.to_thread(page))
    await asyncio.sleep(0.5)
    assert not waiting.done()  # blocked on the pre-invoice being finalized
    finalizing.commit()
    finalizing.close()
    done = await waiting
    assert (done.pre_invoices_created, done.lines_written) == (1, 1)
    shown = {i["id"]: i for i in await pre_invoices(api, w)}
    assert (shown[january["id"]]["status"], shown[january["id"]]["total"]) == ("final", "31.00")
    [new] = [i for i in shown.values() if i["id"] != january["id"]]
    assert (new["status"], new["total"]) == ("open", "62.00")
    assert page().lines_written == 0


async def _finalized_january(
    api: httpx.AsyncClient, temporal: Client
) -> tuple[DeltaWorld, dict, dict]:
    """A subscription's January generated into a pre-invoice that is then finalized."""
    w = await delta_world(api, months=months(JAN, 1))
    sub = await subscription(api, temporal, w, "S1", starts="2026-01-01T00:00:00Z")
    await generate(api, temporal, w, "2026-01-31")
    [january] = await pre_invoices(api, w)
    await _finalize(api, january)
    return w, sub, january


async def test_a_later_generation_bills_the_change_in_a_new_open_pre_invoice(
    api: httpx.AsyncClient, temporal: Client, engine: Engine
) -> None:
    w, sub, january = await _finalized_january(api, temporal)
    await _patch_quantity(api, sub, 2)
    _, second, _ = await generate(api, temporal, w, "2026-01-31")
    assert (second.pre_invoices_created, second.lines_written) == (1, 1)
    shown = {i["id"]: i for i in await pre_invoices(api, w)}
    assert (shown[january["id"]]["status"], shown[january["id"]]["total"]) == ("final", "31.00")
    [new] = [i for i in shown.values() if i["id"] != january["id"]]
    assert (new["status"], new["total"]) == ("open", "31.00")
    with engine.connect() as conn:
        assert _lines(conn, january["id"]) == [("2026-01-01", 1, "31.00")]
        assert _lines(conn, new["id"]) == [("2026-01-01", 2, "31.00")]


async def test_the_database_refuses_lines_into_a_final_pre_invoice_and_changes_to_it(
    api: httpx.AsyncClient, temporal: Client, engine: Engine
) -> None:
    w, sub, january = await _finalized_january(api, temporal)
    for statement in (
        "insert into pre_invoice_lines (subscription_id, period_start, period_end, sequence, "
        "invoice_id, quantity, unit_price, amount) "
        "values (:sub, '2026-01-01', '2026-01-31', 2, :id, 1, 31.00, 5.00)",
        "update invoices set total = total + 5 where id = :id",
        "update invoices set status = 'open' where id = :id",
    ):
        with pytest.raises(DBAPIError, match=r"final|open pre-invoices"), engine.begin() as conn:
            conn.execute(text(statement), {"sub": sub["id"], "id": january["id"]})
    [unchanged] = await pre_invoices(api, w)
    assert (unchanged["status"], unchanged["total"], len(unchanged["lines"])) == (
        "final",
        "31.00",
        1,
    )
