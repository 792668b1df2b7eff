"""How an invoice number reads: its series, a dash and the number, zero-padded to six digits
(`INV-000042`); numbers past 999999 keep every digit."""

from __future__ import annotations


def invoice_number(series: str, number: int) -> str:
    return f"{series}-{number:06d}"
