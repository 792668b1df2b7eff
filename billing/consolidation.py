"""Billing-day consolidation rules: which lines a customer's consolidated invoice takes.

A customer with a billing day, billed by an issuer that has consolidation on, gets one
consolidated invoice per billing day, generated M days before it and due on it. What goes in
depends on what each billing line charges for (its ChargeKind, fixed when the line is written)
and on the issuer's settings and the order's payment, read at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from billing.errors import InvalidRequest
from billing.vocabulary import ChargeKind, OfferCategory, OrderType


@dataclass(frozen=True)
class ConsolidationRules:
    include_overusage: bool = False
    include_domain_ssl_renewals: bool = False


def charge_kind(
    *, order_type: OrderType, resold: bool, aligns_end_date: bool, category: OfferCategory
) -> ChargeKind:
    if order_type is OrderType.renewal:
        if aligns_end_date:
            return ChargeKind.alignment_renewal
        if category in (OfferCategory.domain, OfferCategory.ssl):
            return ChargeKind.domain_ssl_renewal
        return ChargeKind.renewal
    if order_type is OrderType.overusage:
        return ChargeKind.overusage
    if resold:
        return ChargeKind.resold  # resold services go in even from sales and upgrade orders
    return ChargeKind.upgrade if order_type is OrderType.upgrade else ChargeKind.initial_sale


def included_kinds(rules: ConsolidationRules) -> frozenset[ChargeKind]:
    """Included: renewal (recurring) orders, resold services; over-usage and domain/SSL renewal
    fees only when their setting is on. Never: initial sales and upgrades (unless resold), and
    renewals made while aligning end dates to the billing day."""
    kinds = {ChargeKind.renewal, ChargeKind.resold}
    if rules.include_overusage:
        kinds.add(ChargeKind.overusage)
    if rules.include_domain_ssl_renewals:
        kinds.add(ChargeKind.domain_ssl_renewal)
    return frozenset(kinds)


def is_included(kind: ChargeKind | None, rules: ConsolidationRules, *, paid_manually: bool) -> bool:
    """Whether a line goes into the consolidated invoice. Orders paid by hand before the billing
    day are out whatever they are: they need no invoice to be paid."""
    return kind is not None and not paid_manually and kind in included_kinds(rules)


def renewal_due_now(subscription_ends: date, next_billing_date: date) -> bool:
    """A renewal goes into this billing day's invoice when its subscription (its end date as it
    is at run time, after any "Change End Date") would end before the next billing date; a
    later end date waits for a later consolidated invoice."""
    return subscription_ends < next_billing_date


# Renewal fees that wait for their subscription's end date (see renewal_due_now).
RENEWAL_KINDS = frozenset({ChargeKind.renewal, ChargeKind.domain_ssl_renewal})


def consolidates_now(
    kind: ChargeKind | None,
    rules: ConsolidationRules,
    *,
    paid_manually: bool,
    subscription_ends: date | None,
    next_billing_date: date,
) -> bool:
    """Whether a line goes into this billing day's consolidated invoice. `subscription_ends` is
    the end date of the subscription when it still waits for this line's renewal order, else
    None: only such a renewal can be early; every other included line goes in now."""
    if not is_included(kind, rules, paid_manually=paid_manually):
        return False
    if kind in RENEWAL_KINDS and subscription_ends is not None:
        return renewal_due_now(subscription_ends, next_billing_date)
    return True


def validate_days_before(
    days_before: int, *, renewal_order_days: int, overdue_days: int, who: str
) -> None:
    """The consolidated invoice must be generated before every renewal-order period and
    before the invoice's overdue period ends. Otherwise a renewal order
    generated N days before the end date would not exist yet when the invoice is made M days
    before the billing day, and the invoice could be overdue before it is due."""
    problems = []
    if days_before >= renewal_order_days:
        problems.append(f"the renewal-order period of {who} ({renewal_order_days} days)")
    if days_before >= overdue_days:
        problems.append(f"the overdue period of {who} ({overdue_days} days)")
    if problems:
        raise InvalidRequest(
            f"The consolidated invoice would be generated {days_before} days before the billing "
            f"day, which is not within {' or '.join(problems)}. Renewal orders are generated N "
            "days before a subscription's end date (the renewal-order period); the consolidated "
            "invoice must be generated M days before the billing day with M smaller than N and "
            "smaller than the overdue period, so that every renewal order exists when the "
            "invoice is made and nothing falls overdue before the billing day. Lower "
            "days_before_billing_day or lengthen the credit terms."
        )
