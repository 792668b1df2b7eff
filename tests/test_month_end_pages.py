"""A month-end page in the database alone: its invoices are numbered gaplessly in the order of
their first line, a page redone in the same round invoices no group twice, whatever lines
arrived meanwhile, and a page redone while the attempt it replaces is still writing takes no
line twice. Pages written side by side by the run's activity invoice every customer once."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, Engine, text
from temporalio.testing import ActivityEnvironment

from activities.billing_runs import BillingRunActivities
from billing.contracts.billing_runs import PagesInput, RunStartInput
from billing.periods import Period
from billing.store.billing_runs import start_run
from billing.store.month_end import PageDone, invoice_page
from billing.vocabulary import RunKind


def _seller(conn: Connection, tag: str, customers: list[str]) -> str:
    issuer = f"seller-{tag}"
    names = {"dist": f"dist-{tag}", "issuer": issuer, "vendor": f"v-{tag}", "offer": f"o-{tag}"}
    for statement in (
        """insert into partners (id, name, level, parent_id, currency)
           values (:dist, 'Distributor', 'distributor', null, 'EUR'),
                  (:issuer, 'Seller', 'seller', :dist, 'EUR')""",
        "insert into vendors (id, name) values (:vendor, 'Vendor')",
        """insert into offers (id, vendor_id, name, billing_type, unit_price, currency)
           values (:offer, :vendor, 'Seat', 'recurring', 10.00, 'EUR')""",
    ):
        conn.execute(text(statement), names)
    conn.execute(
        text(
            """
            insert into partners (id, name, level, parent_id, currency, payment_term)
            select c, c, 'customer', :issuer, 'EUR', 'net_30' from unnest(cast(:ids as text[])) c
            """
        ),
        {"issuer": issuer, "ids": customers},
    )
    return issuer


def _line(conn: Connection, tag: str, issuer: str, customer: str, group: str) -> int:
    return int(
        conn.execute(
            text(
                """
                insert into billing_lines (charge_key, issuer_id, receiver_id, vendor_id,
                                           offer_id, quantity, unit_price, amount, currency,
                                           invoice_frequency, invoice_group_number)
                values (:key, :issuer, :customer, :vendor, :offer, 1, 10.00, 10.00, 'EUR',
                        'monthly', :group)
                returning id
                """
            ),
            {
                "key": f"{tag}:{uuid.uuid4()}",
                "issuer": issuer,
                "customer": customer,
                "vendor": f"v-{tag}",
                "offer": f"o-{tag}",
                "group": group,
            },
        ).scalar_one()
    )


def _start_run(
    conn: Connection, run_id: str, issuer: str, period: Period, *, customers: int
) -> None:
    start_run(
        conn,
        RunStartInput(
            run_id=run_id,
            execution_id="first",
            kind=RunKind.month_end,
            issuer_id=issuer,
            period=str(period),
        ),
        customers_total=customers,
    )


def _page(engine: Engine, run_id: str, issuer: str, period: Period) -> PageDone:
    with engine.begin() as conn:
        return invoice_page(
            conn, run_id=run_id, issuer_id=issuer, period=period, cursor=None, page_size=100
        )


def _numbers_by_first_line(conn: Connection, issuer: str) -> list[str]:
    return list(
        conn.execute(
            text(
                """
                select i.number from invoices i
                where i.issuer_id = :issuer
                order by (select min(l.id) from billing_lines l where l.invoice_id = i.id)
                """
            ),
            {"issuer": issuer},
        ).scalars()
    )


def test_a_page_redone_in_its_round_invoices_new_groups_only_and_numbers_stay_gapless(
    engine: Engine,
) -> None:
    tag = uuid.uuid4().hex[:8]
    a, b, c = (f"{tag}-{name}" for name in "abc")
    period = Period.containing(datetime.now(UTC).date())
    run_id = f"run-{tag}"
    with engine.begin() as conn:
        issuer = _seller(conn, tag, [a, b, c])
        # b's line comes first, so b's invoice takes the first number.
        for customer, group in [(b, "PO 1"), (a, "PO 1"), (a, "PO 2"), (b, "PO 1")]:
            _line(conn, tag, issuer, customer, group)
        _start_run(conn, run_id, issuer, period, customers=2)

    first = _page(engine, run_id, issuer, period)
    assert (first.invoiced.invoices_created, first.invoiced.lines_invoiced) == (3, 4)

    with engine.begin() as conn:
        assert _numbers_by_first_line(conn, issuer) == ["INV-000001", "INV-000002", "INV-000003"]
        # Meanwhile: a line for a group this round has invoiced, and a new customer's line.
        late = _line(conn, tag, issuer, a, "PO 1")
        _line(conn, tag, issuer, c, "PO 1")

    again = _page(engine, run_id, issuer, period)
    assert (again.invoiced.invoices_created, again.invoiced.lines_invoiced) == (1, 1)

    with engine.begin() as conn:
        numbers = _numbers_by_first_line(conn, issuer)
        assert numbers == [f"INV-{n:06d}" for n in range(1, 5)]
        assert (
            conn.execute(
                text("select last_number from invoice_number_sequences where issuer_id = :i"),
                {"i": issuer},
            ).scalar_one()
            == 4
        )
        # The late line waits for the next round rather than joining an invoice already made.
        assert (
            conn.execute(
                text("select invoice_id from billing_lines where id = :id"), {"id": late}
            ).scalar_one()
            is None
        )


def _month_end_world(engine: Engine, customers: int) -> tuple[str, str, Period, list[str]]:
    tag = uuid.uuid4().hex[:8]
    names = [f"{tag}-c{n}" for n in range(customers)]
    period = Period.containing(datetime.now(UTC).date())
    run_id = f"run-{tag}"
    with engine.begin() as conn:
        issuer = _seller(conn, tag, names)
        for customer in names:
            for group in ("PO 1", "PO 1", "PO 2"):
                _line(conn, tag, issuer, customer, group)
        _start_run(conn, run_id, issuer, period, customers=customers)
    return issuer, run_id, period, names


def _invoices_and_lines(conn: Connection, issuer: str) -> tuple[list[str], int, int]:
    """The issuer's invoice numbers in number order, its uninvoiced lines, and the invoices
    whose total is not the sum of their lines."""
    numbers = list(
        conn.execute(
            text("select number from invoices where issuer_id = :i order by number"),
            {"i": issuer},
        ).scalars()
    )
    uninvoiced, wrong_totals = conn.execute(
        text(
            """
            select (select count(*) from billing_lines
                    where issuer_id = :i and invoice_id is null),
                   (select count(*) from invoices i where i.issuer_id = :i
                      and i.subtotal is distinct from (select sum(l.amount) from billing_lines l
                                                       where l.invoice_id = i.id))
            """
        ),
        {"i": issuer},
    ).one()
    return numbers, uninvoiced, wrong_totals


@pytest.mark.parametrize("customers", [4, 5])
def test_pages_side_by_side_invoice_every_customer_once_with_gapless_numbers(
    engine: Engine, customers: int
) -> None:
    issuer, run_id, period, names = _month_end_world(engine, customers)
    activities = BillingRunActivities(engine, parallel_pages=2)
    heartbeats: list[object] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: heartbeats.append(details[0])
    pages = PagesInput(
        run_id=run_id,
        issuer_id=issuer,
        period=str(period),
        cursor=None,
        page_size=1,
        max_pages=100,
    )

    done = env.run(activities.invoice_period_pages, pages)

    # Rounds of two pages of one customer, the cursor heartbeaten after each full round: four
    # customers end exactly on the second round's last bound, a fifth is a third round's page.
    assert (done.cursor, done.customers_done) == (None, customers)
    assert (done.invoices_created, done.lines_invoiced) == (2 * customers, 3 * customers)
    assert heartbeats == [names[1], names[3]]
    with engine.connect() as conn:
        numbers, uninvoiced, wrong_totals = _invoices_and_lines(conn, issuer)
    assert numbers == [f"INV-{n:06d}" for n in range(1, 2 * customers + 1)]
    assert (uninvoiced, wrong_totals) == (0, 0)


def test_a_page_redone_beside_the_attempt_it_replaces_takes_no_line_twice(
    engine: Engine,
) -> None:
    issuer, run_id, period, _ = _month_end_world(engine, 3)
    redone: list[PageDone] = []
    with engine.connect() as first:
        with first.begin():
            made = invoice_page(
                first, run_id=run_id, issuer_id=issuer, period=period, cursor=None, page_size=10
            )
            # The same page again, before the first attempt commits: it stages the same lines,
            # then waits on the first attempt's row locks to link them.
            second = threading.Thread(
                target=lambda: redone.append(_page(engine, run_id, issuer, period))
            )
            second.start()
            time.sleep(0.5)
            assert second.is_alive()
        second.join(timeout=30)

    assert (made.invoiced.invoices_created, made.invoiced.lines_invoiced) == (6, 9)
    assert [(r.invoiced.invoices_created, r.invoiced.lines_invoiced) for r in redone] == [(0, 0)]
    with engine.connect() as conn:
        numbers, uninvoiced, wrong_totals = _invoices_and_lines(conn, issuer)
    assert numbers == [f"INV-{n:06d}" for n in range(1, 7)]
    assert (uninvoiced, wrong_totals) == (0, 0)
