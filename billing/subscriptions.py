"""Subscription terms and what may change on a subscription."""

from __future__ import annotations

import calendar
from datetime import datetime

from billing.errors import Conflict
from billing.vocabulary import BillingType


def add_months(moment: datetime, months: int) -> datetime:
    """Calendar months, clamped to the last day of a shorter month (31 Jan + 1 = 28/29 Feb)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def expires_at(starts_at: datetime, term_months: int) -> datetime:
    return add_months(starts_at, term_months)


def ensure_quantity_may_change(*, perpetual: bool, billing_type: BillingType) -> None:
    """Perpetual one-time licences have no quantity change, upgrade, downgrade, renewal or
    cancellation: more licences mean a new order."""
    if perpetual and billing_type is BillingType.one_time:
        raise Conflict(
            "The quantity of a perpetual one-time subscription cannot be changed. "
            "Place a new order for the additional licences; it creates its own subscription."
        )


def ensure_end_date_may_change(*, perpetual: bool, billing_type: BillingType) -> None:
    """A perpetual one-time licence never renews, so it has no end date to move."""
    if perpetual and billing_type is BillingType.one_time:
        raise Conflict(
            "A perpetual one-time subscription never renews, so its end date cannot be changed."
        )
