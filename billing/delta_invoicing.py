"""Delta invoicing: what a subscription should cost per calendar month of its runtime, and the
lines a pre-invoice generation writes so that what is billed becomes what should be billed.

Nothing already invoiced is ever reversed: a generation writes, per subscription and month,
`delta = should-be - what that month's lines already bill`, only where it is not zero. The
first generation therefore bills full months; a later one only the +/- difference; several
changes between generations net out into one line; a change with no financial effect, or a
generation with nothing changed, writes nothing.

This module is the specification. `billing.store.pre_invoices` computes the same deltas in one
set-based SQL statement, and a property test checks the two agree on generated data.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, localcontext

from billing.money import round_money

# Enough digits that quantity x price x days / days-in-month is exact before its one rounding
# (quantities up to 10^6, prices with 20 digits, at most 31 days).
_PRECISION = 60


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + 1, 1, 1) if month.month == 12 else date(month.year, month.month + 1, 1)


def month_end(month: date) -> date:
    """The last day of the month (inclusive), as accounting periods and service periods end."""
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def utc_day(moment: datetime) -> date:
    """Runtimes are counted in whole UTC days: the day a subscription starts counts, the day it
    ends does not ([starts_at, ends_at) in days)."""
    return moment.astimezone(UTC).date()


@dataclass(frozen=True)
class Runtime:
    """What decides a subscription's charge: its runtime in days [starts_on, ends_on), its
    quantity and monthly unit price in one currency."""

    starts_on: date
    ends_on: date
    quantity: int
    unit_price: Decimal
    currency: str

    def days_in(self, month: date) -> int:
        first, after = max(self.starts_on, month), min(self.ends_on, next_month(month))
        return max((after - first).days, 0)

    def months_until(self, as_of: date) -> list[date]:
        """The first days of the months the runtime touches that start on or before `as_of`."""
        months: list[date] = []
        month = month_start(self.starts_on)
        while month <= as_of and month < self.ends_on:
            if self.days_in(month):
                months.append(month)
            month = next_month(month)
        return months


def should_be(runtime: Runtime, month: date) -> Decimal:
    """quantity x unit price x days of the month inside the runtime / days in the month,
    rounded once to the currency's minor units."""
    days = runtime.days_in(month)
    if not days:
        return round_money(Decimal(0), runtime.currency)
    with localcontext() as context:
        context.prec = _PRECISION
        exact = (
            Decimal(runtime.quantity)
            * runtime.unit_price
            * days
            / calendar.monthrange(month.year, month.month)[1]
        )
        return round_money(exact, runtime.currency)


@dataclass(frozen=True)
class Billed:
    """What the lines of one subscription and month bill so far: their sum, and how many lines
    there are (the next line's sequence number is `lines + 1`)."""

    amount: Decimal
    lines: int


@dataclass(frozen=True)
class DeltaLine:
    subscription_id: str
    month: date
    amount: Decimal  # signed
    sequence: int  # 1 for the month's first line; more for a difference line
    quantity: int
    unit_price: Decimal

    @property
    def is_difference(self) -> bool:
        return self.sequence > 1

    @property
    def period_end(self) -> date:
        return month_end(self.month)


def deltas(
    runtimes: Mapping[str, Runtime],
    billed: Mapping[tuple[str, date], Billed],
    as_of: date,
) -> list[DeltaLine]:
    """The lines to write: per subscription and month that starts on or before `as_of`, the
    difference between what should be billed and what is, where it is not zero. Months billed
    before but outside the runtime now (a later start, an earlier end, a cancellation) should
    be zero and get a negative line."""
    lines: list[DeltaLine] = []
    for subscription_id, runtime in sorted(runtimes.items()):
        months = set(runtime.months_until(as_of))
        months.update(m for (s, m) in billed if s == subscription_id and m <= as_of)
        for month in sorted(months):
            so_far = billed.get((subscription_id, month), Billed(Decimal(0), 0))
            amount = should_be(runtime, month) - so_far.amount
            if amount != 0:
                lines.append(
                    DeltaLine(
                        subscription_id=subscription_id,
                        month=month,
                        amount=amount,
                        sequence=so_far.lines + 1,
                        quantity=runtime.quantity,
                        unit_price=runtime.unit_price,
                    )
                )
    return lines


def apply(
    billed: Mapping[tuple[str, date], Billed], lines: Iterable[DeltaLine]
) -> dict[tuple[str, date], Billed]:
    """What is billed once `lines` are written."""
    after = dict(billed)
    for line in lines:
        key = (line.subscription_id, line.month)
        before = after.get(key, Billed(Decimal(0), 0))
        after[key] = Billed(before.amount + line.amount, before.lines + 1)
    return after


@dataclass(frozen=True)
class PeriodFacts:
    id: str
    starts_on: date
    ends_on: date  # inclusive
    invoicing_closed: bool


def period_for(month: date, periods: Iterable[PeriodFacts]) -> str | None:
    """The accounting period a delta line of `month` lands in: the period (of the issuer's
    legal entity) that contains the month's first day; if that one is closed for invoicing, the
    first open period after it. None while no such period exists: the pre-invoice stays without
    one and a later generation assigns it."""
    ordered = sorted(periods, key=lambda p: p.starts_on)
    containing = next((p for p in ordered if p.starts_on <= month <= p.ends_on), None)
    if containing is None:
        return None
    if not containing.invoicing_closed:
        return containing.id
    return next(
        (p.id for p in ordered if p.starts_on > containing.ends_on and not p.invoicing_closed),
        None,
    )
