"""A month-end page in the database alone: its invoices are numbered gaplessly in the order of
their first line, and a page redone in the same round invoices no group twice, whatever lines
arrived meanwhile."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, text

from billing.contracts.billing_runs import RunStartInput
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
        start_run(
            conn,
            RunStartInput(
                run_id=run_id,
                execution_id="first",
                kind=RunKind.month_end,
                issuer_id=issuer,
                period=str(period),
            ),
            customers_total=2,
        )

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
