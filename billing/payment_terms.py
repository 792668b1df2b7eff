"""Payment terms and the due dates they give."""

from __future__ import annotations

from datetime import date, timedelta

from billing.vocabulary import PaymentTerm

DAYS: dict[PaymentTerm, int] = {
    PaymentTerm.due_upon_receipt: 0,
    PaymentTerm.net_15: 15,
    PaymentTerm.net_30: 30,
    PaymentTerm.net_45: 45,
    PaymentTerm.net_60: 60,
    PaymentTerm.net_90: 90,
}


def due_date(invoice_date: date, term: PaymentTerm) -> date:
    """Net N: N calendar days after the invoice date; due upon receipt: the invoice date."""
    return invoice_date + timedelta(days=DAYS[term])
