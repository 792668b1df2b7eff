"""Billing periods: calendar months named "YYYY-MM", bounded in UTC."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from billing.errors import InvalidRequest
from billing.subscriptions import add_months

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, order=True)
class Period:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period:
        match = _PERIOD.match(text)
        if match is None:
            raise InvalidRequest(
                f"A period is a month written YYYY-MM, such as 2026-11; not {text!r}."
            )
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def containing(cls, day: date) -> Period:
        return cls(day.year, day.month)

    @classmethod
    def before(cls, day: date) -> Period:
        """The month that ended last: what a month-end run started on `day` bills."""
        return cls.containing(add_months(datetime(day.year, day.month, 1, tzinfo=UTC), -1))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def starts_at(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def ends_at(self) -> datetime:
        """Exclusive: the first moment of the next month."""
        return add_months(self.starts_at, 1)

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.ends_at.date().toordinal() - 1)


# The first month the engine bills: no partner had lines before it, and it keeps dates far from
# the calendar's edges (year 0 does not exist).
FIRST_BILLABLE = Period(2000, 1)


def billable_period(text: str, today: date) -> Period:
    """The month a month-end run may bill: one that has ended, or the month now running (billed
    early: the lines it has so far; a later run of the same month invoices the rest)."""
    current = Period.containing(today)
    allowed = f"a month from {FIRST_BILLABLE} to {current} (the current month, billed early)"
    try:
        period = Period.parse(text)
    except InvalidRequest:
        raise InvalidRequest(f"period must be written YYYY-MM, {allowed}; not {text!r}.") from None
    if period < FIRST_BILLABLE:
        raise InvalidRequest(f"period {period} is before billing began: choose {allowed}.")
    if period > current:
        raise InvalidRequest(f"period {period} has not begun yet: choose {allowed}.")
    return period


def consolidation_day(day: date, today: date) -> date:
    """The day a consolidation run may stand on: a past day (a backfill) or today."""
    if day < FIRST_BILLABLE.starts_at.date():
        raise InvalidRequest(
            f"as_of {day} is before billing began ({FIRST_BILLABLE.starts_at.date()}); "
            f"choose a day from then to {today}."
        )
    if day > today:
        raise InvalidRequest(
            f"as_of {day} is in the future; choose today ({today}) or a past day to backfill."
        )
    return day
