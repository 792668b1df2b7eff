"""How an invoice number reads: its series, a dash and the number, zero-padded to six digits
(`INV-000042`); numbers past 999999 keep every digit."""

from __future__ import annotations

# The series of every invoice an issuer bills: per-order, month-end and consolidated invoices
# share one gapless numbering per issuer.
INVOICE_SERIES = "INV"
# Pre-invoices (delta invoicing) have their own gapless numbering per issuer.
PRE_INVOICE_SERIES = "PRE"


def invoice_number(series: str, number: int) -> str:
    return f"{series}-{number:06d}"
