"""The delta rule as properties: after any sequence of subscription changes and generations,
what is billed per subscription and month is what should be billed, a generation right after
another writes nothing, and amounts never drift by a rounding cent."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

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
    should_be,
)
from billing.money import minor_units

SLOT_CURRENCIES = ["EUR", "JPY", "KWD"]
CURRENCIES = st.sampled_from(SLOT_CURRENCIES)
DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31))
PRICES = st.decimals(min_value=0, max_value=10_000, places=6, allow_nan=False, allow_infinity=False)


@st.composite
def runtimes(draw: st.DrawFn, currency: str | None = None) -> Runtime:
    starts = draw(DAYS)
    return Runtime(
        starts_on=starts,
        ends_on=starts + timedelta(days=draw(st.integers(min_value=0, max_value=800))),
        quantity=draw(st.integers(min_value=1, max_value=10_000)),
        unit_price=draw(PRICES),
        currency=currency or draw(CURRENCIES),
    )


def test_a_full_month_costs_quantity_times_price() -> None:
    runtime = Runtime(date(2026, 1, 1), date(2027, 1, 1), 3, Decimal("10.00"), "EUR")
    assert should_be(runtime, date(2026, 2, 1)) == Decimal("30.00")


def test_a_partial_month_is_prorated_by_days_and_rounded_once() -> None:
    # 15 of February's 28 days of 1 x 10.00 = 5.357142... -> 5.36
    runtime = Runtime(date(2026, 2, 14), date(2026, 6, 1), 1, Decimal("10.00"), "EUR")
    assert should_be(runtime, date(2026, 2, 1)) == Decimal("5.36")
    assert should_be(runtime, date(2026, 6, 1)) == Decimal("0.00")


def test_the_first_generation_bills_full_months_and_a_change_only_the_difference() -> None:
    runtime = Runtime(date(2026, 1, 1), date(2026, 4, 1), 2, Decimal("10"), "EUR")
    first = deltas({"s": runtime}, {}, date(2026, 3, 31))
    assert [(line.month.month, line.amount, line.sequence) for line in first] == [
        (1, Decimal("20.00"), 1),
        (2, Decimal("20.00"), 1),
        (3, Decimal("20.00"), 1),
    ]
    changed = Runtime(date(2026, 1, 1), date(2026, 4, 1), 3, Decimal("10"), "EUR")
    second = deltas({"s": changed}, apply({}, first), date(2026, 3, 31))
    assert [(line.amount, line.is_difference) for line in second] == [(Decimal("10.00"), True)] * 3


def test_a_later_start_credits_the_months_no_longer_in_the_runtime() -> None:
    runtime = Runtime(date(2026, 1, 1), date(2026, 4, 1), 1, Decimal("9"), "EUR")
    billed = apply({}, deltas({"s": runtime}, {}, date(2026, 3, 1)))
    later = Runtime(date(2026, 2, 1), date(2026, 4, 1), 1, Decimal("9"), "EUR")
    [credit] = deltas({"s": later}, billed, date(2026, 3, 1))
    assert (credit.month, credit.amount) == (date(2026, 1, 1), Decimal("-9.00"))


def test_months_after_as_of_are_not_billed_yet() -> None:
    runtime = Runtime(date(2026, 1, 1), date(2027, 1, 1), 1, Decimal("1"), "EUR")
    assert [line.month for line in deltas({"s": runtime}, {}, date(2026, 2, 1))] == [
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]


@settings(max_examples=150, deadline=None)
@given(
    history=st.lists(
        st.tuples(st.lists(runtimes(), min_size=1, max_size=3), DAYS), min_size=1, max_size=6
    ),
)
def test_after_any_changes_and_generations_billed_equals_should_be(
    history: list[tuple[list[Runtime], date]],
) -> None:
    billed: dict[tuple[str, date], Billed] = {}
    for versions, as_of in history:
        # Each step changes some subscriptions (a new runtime under the same id), then generates.
        # A subscription keeps its currency whatever else changes.
        current = {
            f"s{i}": replace(runtime, currency=SLOT_CURRENCIES[i])
            for i, runtime in enumerate(versions)
        }
        lines = deltas(current, billed, as_of)
        for line in lines:
            runtime = current[line.subscription_id]
            assert line.amount != 0
            assert line.month <= as_of
            # Every line is already in the currency's minor units: no later rounding can drift.
            unit = Decimal(1).scaleb(-minor_units(runtime.currency))
            assert line.amount == line.amount.quantize(unit)
        billed = apply(billed, lines)
        for (subscription_id, month), so_far in billed.items():
            if subscription_id in current and month <= as_of:
                assert so_far.amount == should_be(current[subscription_id], month)
        # Rerunning with nothing changed writes nothing.
        assert deltas(current, billed, as_of) == []


@settings(max_examples=100, deadline=None)
@given(runtime=runtimes(), as_of=DAYS)
def test_the_total_billed_is_the_sum_of_each_months_rounded_amount(
    runtime: Runtime, as_of: date
) -> None:
    lines = deltas({"s": runtime}, {}, as_of)
    months = runtime.months_until(as_of)
    assert sum((line.amount for line in lines), Decimal(0)) == sum(
        (should_be(runtime, month) for month in months), Decimal(0)
    )
    assert all(month_start(m) == m and next_month(m) > m for m in months)


@settings(max_examples=100, deadline=None)
@given(runtime=runtimes(), as_of=DAYS, quantity=st.integers(min_value=1, max_value=10_000))
def test_setting_a_quantity_to_the_value_it_had_writes_nothing(
    runtime: Runtime, as_of: date, quantity: int
) -> None:
    billed = apply({}, deltas({"s": runtime}, {}, as_of))
    there_and_back = [
        Runtime(runtime.starts_on, runtime.ends_on, quantity, runtime.unit_price, runtime.currency),
        runtime,
    ]
    # Two changes between generations net out: only the last state counts.
    assert deltas({"s": there_and_back[-1]}, billed, as_of) == []


JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)


def _period(id: str, month: date, closed: bool = False) -> PeriodFacts:
    return PeriodFacts(id, month, month_end(month), closed)


def test_a_month_lands_in_the_period_that_contains_it() -> None:
    assert period_for(FEB, [_period("jan", JAN), _period("feb", FEB)]) == "feb"


def test_a_month_of_a_closed_period_lands_in_the_first_open_period_after_it() -> None:
    periods = [
        _period("jan", JAN, closed=True),
        _period("feb", FEB, closed=True),
        _period("mar", MAR),
    ]
    assert period_for(JAN, periods) == "mar"


def test_a_month_without_a_period_has_none_yet() -> None:
    assert period_for(MAR, [_period("jan", JAN)]) is None
    assert period_for(JAN, [_period("jan", JAN, closed=True)]) is None
