"""Gapless invoice numbers per issuer and series."""

from __future__ import annotations

from sqlalchemy import Connection, text

from billing.invoice_numbers import invoice_number

_NEXT = text(
    """
    insert into invoice_number_sequences (issuer_id, series, last_number)
    values (:issuer_id, :series, 1)
    on conflict (issuer_id, series)
    do update set last_number = invoice_number_sequences.last_number + 1
    returning last_number
    """
)


def next_invoice_number(conn: Connection, issuer_id: str, series: str) -> str:
    """Takes the next number inside the caller's transaction: the row lock serialises issuers'
    concurrent invoices and a rollback gives the number back, so the series has no gaps."""
    number = conn.execute(_NEXT, {"issuer_id": issuer_id, "series": series}).scalar_one()
    return invoice_number(series, number)


_RESERVE = text(
    """
    insert into invoice_number_sequences (issuer_id, series, last_number)
    values (:issuer_id, :series, :count)
    on conflict (issuer_id, series)
    do update set last_number = invoice_number_sequences.last_number + :count
    returning last_number
    """
)


def reserve_invoice_numbers(conn: Connection, issuer_id: str, series: str, count: int) -> list[str]:
    """The next `count` numbers in one statement, for a batch of invoices made in the caller's
    transaction; gapless for the same reasons as next_invoice_number."""
    if count <= 0:
        return []
    last = conn.execute(
        _RESERVE, {"issuer_id": issuer_id, "series": series, "count": count}
    ).scalar_one()
    return [invoice_number(series, number) for number in range(last - count + 1, last + 1)]
