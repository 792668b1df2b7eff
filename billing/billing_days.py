"""Billing-day arithmetic: a customer's billing day is a day of the month, 1-31;
in a shorter month it falls on the month's last day (31 in February is the 28th or 29th)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

# Consolidation may be generated at most this many days before the billing day
# (billing.contracts.reference_data.ConsolidationSettings).
MAX_DAYS_BEFORE = 31


def billing_date(year: int, month: int, billing_day: int) -> date:
    return date(year, month, min(billing_day, calendar.monthrange(year, month)[1]))


def next_billing_date(after: date, billing_day: int) -> date:
    """The first billing date strictly after `after`."""
    this_month = billing_date(after.year, after.month, billing_day)
    if this_month > after:
        return this_month
    year, month = (after.year + 1, 1) if after.month == 12 else (after.year, after.month + 1)
    return billing_date(year, month, billing_day)


def billing_days_falling_on(day: date) -> list[int]:
    """The billing days whose billing date is `day`: its own day of the month, and on a month's
    last day also every larger billing day (30 and 31 fall on 28 February)."""
    last = calendar.monthrange(day.year, day.month)[1]
    return list(range(day.day, 32)) if day.day == last else [day.day]


def consolidation_target(as_of: date, days_before: int) -> date:
    """A consolidation run on `as_of` generates the invoices of the billing date M days later."""
    return as_of + timedelta(days=days_before)


@dataclass(frozen=True)
class DueDay:
    """Customers of issuers with M days before, and this billing day, are due on `as_of`."""

    days_before: int
    billing_day: int
    billing_date: date
    next_billing_date: date


def due_days(as_of: date) -> list[DueDay]:
    """Every (M, billing day) pair whose consolidated invoice a run on `as_of` generates."""
    due = []
    for m in range(MAX_DAYS_BEFORE + 1):
        target = consolidation_target(as_of, m)
        for day in billing_days_falling_on(target):
            due.append(DueDay(m, day, target, next_billing_date(target, day)))
    return due
