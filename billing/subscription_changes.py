"""How a change of a subscription reaches the bill, and which changes are refused because they
would reach none.

With delta invoicing the next pre-invoice generation bills the difference per month, whatever
changed. Without it, what was invoiced stays as it was: a new quantity or end date is billed
from the next renewal (whose order reads the subscription then), while a new unit price or
start date would never reach a bill, so it is refused with the way to do it: an upgrade order.
"""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime

from billing.errors import Conflict, InvalidRequest

FINANCIAL = frozenset({"quantity", "unit_price", "starts_at", "ends_at"})
# Reach no bill without delta invoicing: renewals price from the offer and start at the end.
NEEDS_DELTA = frozenset({"unit_price", "starts_at"})


def ensure_ends_after_start(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise InvalidRequest(
            f"The subscription would end ({ends_at.isoformat()}) before it starts "
            f"({starts_at.isoformat()}); to stop it, cancel it (POST .../cancel)."
        )


def ensure_change_reaches_a_bill(changed: Set[str], *, delta: bool, issuer_id: str) -> None:
    refused = sorted(changed & NEEDS_DELTA)
    if refused and not delta:
        raise Conflict(
            f"{' and '.join(refused)} cannot change here: issuer {issuer_id!r} does not use "
            "delta invoicing, so what was invoiced stays as it was and the change would reach "
            "no bill. Place an upgrade order (order type `upgrade`) for the difference, or "
            "enable delta invoicing for the issuer (POST /v1/partners/{id}/delta-invoicing)."
        )


def change_effect(
    changed: Set[str], *, delta: bool, ends_at: datetime, renewal_order_days: int
) -> str:
    """The sentence the API answers a change with."""
    financial = sorted(changed & FINANCIAL)
    if not financial:
        return "No financial effect: nothing is invoiced for this change."
    if delta:
        return (
            f"Changed {', '.join(financial)}: the next pre-invoice generation bills only the "
            "difference per month of the runtime (POST /v1/pre-invoice-runs); nothing invoiced "
            "is reversed."
        )
    return (
        f"Changed {', '.join(financial)}: what was invoiced stays as it was; the change is billed "
        f"from the next renewal, whose order is made {renewal_order_days} days before "
        f"{ends_at.date().isoformat()}. To bill it now, place an upgrade order (order type "
        "`upgrade`)."
    )


def cancellation_effect(*, delta: bool, effective_at: datetime) -> str:
    day = effective_at.date().isoformat()
    if delta:
        return (
            f"Cancelled from {day}: the next pre-invoice generation credits the months after it "
            "in full and the month it falls in by day."
        )
    return (
        f"Cancelled from {day}: no renewal follows. What was invoiced stays invoiced (without "
        "delta invoicing nothing is credited)."
    )
