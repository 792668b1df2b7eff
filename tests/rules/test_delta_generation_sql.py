"""The set-based SQL of pre-invoice generation against the pure rules it implements
(billing.delta_invoicing), on real PostgreSQL: the deltas of generated subscriptions and
billing histories, and the accounting period each month lands in. Each example runs in a
transaction that is rolled back."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, text

from billing.delta_invoicing import (
    Billed,
    PeriodFacts,
    Runtime,
    apply,
    deltas,
    month_end,
    month_start,
    next_month,
    period_for,
    utc_day,
)
from billing.store.pre_invoices import PERIOD_FOR_SQL, deltas_sql, subscription_terms_sql

CURRENCIES = ["EUR", "JPY", "KWD"]
DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31))


@st.composite
def moments(draw: st.DrawFn) -> datetime:
    day = draw(DAYS)
    hour = draw(st.sampled_from([0, 0, 9, 23]))
    return datetime.combine(day, time(hour), tzinfo=UTC)


@st.composite
def versions(draw: st.DrawFn, currency: str) -> tuple[datetime, datetime, int, Decimal]:
    starts = draw(moments())
    ends = starts + timedelta(
        days=draw(st.integers(min_value=0, max_value=500)), hours=draw(st.integers(0, 30))
    )
    quantity = draw(st.integers(min_value=1, max_value=10_000))
    price = draw(st.decimals(min_value=0, max_value=10_000, places=6, allow_nan=False))
    return starts, ends, quantity, price


@st.composite
def subscription_histories(draw: st.DrawFn) -> list[tuple[str, list, list[date]]]:
    """Per subscription: its currency, its versions (the last one current), and the as-of day
    of the generation that followed each earlier version."""
    histories = []
    for index in range(draw(st.integers(min_value=1, max_value=4))):
        currency = CURRENCIES[index % len(CURRENCIES)]
        states = draw(st.lists(versions(currency), min_size=1, max_size=3))
        runs = draw(st.lists(DAYS, min_size=len(states) - 1, max_size=len(states) - 1))
        histories.append((currency, states, runs))
    return histories


def _runtime(state: tuple[datetime, datetime, int, Decimal], currency: str) -> Runtime:
    starts, ends, quantity, price = state
    return Runtime(utc_day(starts), utc_day(ends), quantity, price, currency)


def _world(conn: Connection, suffix: str) -> dict[str, str]:
    issuer, receiver, vendor = f"pi-{suffix}", f"pc-{suffix}", f"pv-{suffix}"
    conn.execute(
        text(
            "insert into partners (id, name, level, parent_id, currency) values "
            "(:issuer, 'I', 'distributor', null, 'EUR'), (:receiver, 'C', 'customer', :issuer, 'EUR')"
        ),
        {"issuer": issuer, "receiver": receiver},
    )
    conn.execute(text("insert into vendors (id, name) values (:v, 'V')"), {"v": vendor})
    for currency in CURRENCIES:
        conn.execute(
            text(
                "insert into offers (id, vendor_id, name, billing_type, unit_price, currency) "
                "values (:id, :v, 'O', 'recurring', 1, :c)"
            ),
            {"id": f"po-{currency}-{suffix}", "v": vendor, "c": currency},
        )
    invoice = conn.execute(
        text(
            "insert into invoices (number, type, status, issuer_id, receiver_id, currency, "
            "subtotal, total) values ('PRE-T', 'pre_invoice', 'open', :issuer, :receiver, 'EUR', "
            "0, 0) returning id"
        ),
        {"issuer": issuer, "receiver": receiver},
    ).scalar_one()
    return {"issuer": issuer, "receiver": receiver, "vendor": vendor, "invoice": str(invoice)}


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(histories=subscription_histories(), as_of=DAYS)
def test_the_generation_sql_computes_the_rules_deltas(
    engine: Engine, histories: list[tuple[str, list, list[date]]], as_of: date
) -> None:
    suffix = uuid.uuid4().hex[:10]
    with engine.connect() as conn, conn.begin() as transaction:
        ids = _world(conn, suffix)
        current: dict[str, Runtime] = {}
        billed: dict[tuple[str, date], Billed] = {}
        for index, (currency, states, runs) in enumerate(histories):
            number = f"PO-{suffix}-{index}"
            starts, ends, quantity, price = states[-1]
            conn.execute(
                text(
                    "insert into orders (order_number, issuer_id, customer_id, request_digest) "
                    "values (:n, :issuer, :receiver, 'x')"
                ),
                {"n": number, **ids},
            )
            conn.execute(
                text(
                    "insert into order_items (order_number, item_id, position, offer_id, quantity) "
                    "values (:n, '1', 0, :offer, 1)"
                ),
                {"n": number, "offer": f"po-{currency}-{suffix}"},
            )
            sub_id = conn.execute(
                text(
                    "insert into subscriptions (issuer_id, customer_id, offer_id, order_number, "
                    "item_id, quantity, starts_at, expires_at, perpetual, unit_price, "
                    "billed_by_delta) values "
                    "(:issuer, :receiver, :offer, :n, '1', :q, :s, :e, false, :p, true) "
                    "returning id"
                ),
                {
                    **ids,
                    "offer": f"po-{currency}-{suffix}",
                    "n": number,
                    "q": quantity,
                    "s": starts,
                    "e": ends,
                    "p": price,
                },
            ).scalar_one()
            sid = str(sub_id)
            # Earlier versions were billed by the rule at their own generations.
            history: dict[tuple[str, date], Billed] = {}
            for state, run_day in zip(states[:-1], runs, strict=True):
                history = apply(history, deltas({sid: _runtime(state, currency)}, history, run_day))
            for (_, month), so_far in sorted(history.items()):
                for seq in range(1, so_far.lines + 1):
                    # The month's lines: what they sum to matters, split over `lines` rows.
                    amount = so_far.amount if seq == so_far.lines else Decimal(0)
                    conn.execute(
                        text(
                            "insert into pre_invoice_lines (subscription_id, period_start, "
                            "period_end, sequence, invoice_id, quantity, unit_price, amount) "
                            "values (:sub, :m, :m, :seq, :invoice, 1, 1, :a)"
                        ),
                        {
                            "sub": sub_id,
                            "m": month,
                            "seq": seq,
                            "invoice": ids["invoice"],
                            "a": amount,
                        },
                    )
            billed.update(history)
            current[sid] = _runtime(states[-1], currency)

        rows = conn.execute(
            text(deltas_sql(f"({subscription_terms_sql('true')}) terms") + " order by 1, 2"),
            {"issuer": ids["issuer"], "as_of": as_of},
        ).all()
        from_sql = sorted((str(r.subscription_id), r.month, r.amount, r.seq) for r in rows)
        from_rule = sorted(
            (line.subscription_id, line.month, line.amount, line.sequence)
            for line in deltas(current, billed, as_of)
        )
        assert from_sql == from_rule
        transaction.rollback()


@st.composite
def period_layouts(draw: st.DrawFn) -> list[PeriodFacts]:
    """Non-overlapping periods of one legal entity, one to three months long, with gaps."""
    periods: list[PeriodFacts] = []
    month = date(2025, draw(st.integers(1, 12)), 1)
    for index in range(draw(st.integers(0, 8))):
        month = add_months_to(month, draw(st.integers(0, 2)))  # a gap of 0-2 months
        length = draw(st.integers(1, 3))
        ends = month_end(add_months_to(month, length - 1))
        periods.append(PeriodFacts(f"p{index}", month, ends, draw(st.booleans())))
        month = next_month(ends)
    return periods


def add_months_to(month: date, months: int) -> date:
    for _ in range(months):
        month = next_month(month)
    return month


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(periods=period_layouts(), months=st.lists(DAYS.map(month_start), max_size=6, unique=True))
def test_the_period_sql_lands_each_month_where_the_rule_does(
    engine: Engine, periods: list[PeriodFacts], months: list[date]
) -> None:
    suffix = uuid.uuid4().hex[:10]
    with engine.connect() as conn, conn.begin() as transaction:
        ids = _world(conn, suffix)
        entity = f"le-{suffix}"
        conn.execute(
            text(
                "insert into legal_entities (id, issuer_id, name, active) values (:e, :i, 'E', true)"
            ),
            {"e": entity, "i": ids["issuer"]},
        )
        for period in periods:
            conn.execute(
                text(
                    "insert into accounting_periods (id, issuer_id, legal_entity_id, starts_on, "
                    "ends_on, invoicing_closed) values (:id, :i, :e, :s, :t, :c)"
                ),
                {
                    "id": f"{period.id}-{suffix}",
                    "i": ids["issuer"],
                    "e": entity,
                    "s": period.starts_on,
                    "t": period.ends_on,
                    "c": period.invoicing_closed,
                },
            )
        conn.execute(text("create temp table months (month date) on commit drop"))
        for month in months:
            conn.execute(text("insert into months values (:m)"), {"m": month})
        from_sql = {
            row.month: row.accounting_period_id
            for row in conn.execute(text(PERIOD_FOR_SQL), {"entity": entity})
        }
        from_rule = {
            month: (f"{found}-{suffix}" if (found := period_for(month, periods)) else None)
            for month in months
        }
        assert from_sql == from_rule
        transaction.rollback()
