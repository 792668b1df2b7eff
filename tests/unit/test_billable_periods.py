"""Which months a month-end run may bill and which day a consolidation run may stand on."""

from __future__ import annotations

from datetime import date

import pytest

from billing.errors import InvalidRequest
from billing.periods import Period, billable_period, consolidation_day

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize("text", ["2000-01", "2026-11", "2026-12"])
def test_a_month_that_has_begun_may_be_billed(text: str) -> None:
    assert str(billable_period(text, TODAY)) == text


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("0000-01", "before billing began"),
        ("1999-12", "before billing began"),
        ("2027-01", "has not begun yet"),
        ("4849-05", "has not begun yet"),
        ("2026-13", "written YYYY-MM"),
        ("26-1", "written YYYY-MM"),
    ],
)
def test_other_months_are_refused_naming_the_allowed_ones(text: str, why: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        billable_period(text, TODAY)
    assert why in refused.value.detail
    assert "from 2000-01 to 2026-12" in refused.value.detail


def test_the_current_month_is_billed_early_and_the_last_one_is_the_schedules() -> None:
    assert billable_period("2026-12", TODAY) == Period.containing(TODAY)
    assert billable_period("2026-11", TODAY) == Period.before(TODAY)


def test_a_consolidation_day_is_today_or_a_past_day() -> None:
    assert consolidation_day(TODAY, TODAY) == TODAY
    assert consolidation_day(date(2024, 6, 1), TODAY) == date(2024, 6, 1)
    for day in (date(2026, 12, 2), date(9999, 12, 31), date(1, 1, 1)):
        with pytest.raises(InvalidRequest):
            consolidation_day(day, TODAY)
