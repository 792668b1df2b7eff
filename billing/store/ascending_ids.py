"""Ids that ascend in the order a statement makes its rows: UUID version 7 (RFC 9562), the
statement's start in Unix milliseconds, then the row's counter, then random bits.

A batch of rows with random ids (gen_random_uuid) puts each new entry of every index on those
ids, and on columns that copy them, at a random leaf; ascending ids append at the right edge,
which a batch of thousands of rows writes much faster."""

from __future__ import annotations

# RFC 9562 method 1: a 26-bit counter in rand_a (12 bits) and the top of rand_b (14 bits).
_COUNTER_BITS_LOW = 14


def ascending_uuid_sql(counter: str) -> str:
    """SQL expression of a version-7 UUID whose order follows `counter` (a bigint SQL
    expression, distinct per row of the statement, below 2^26)."""
    low = (1 << _COUNTER_BITS_LOW) - 1
    return (
        "cast("
        "lpad(to_hex(floor(extract(epoch from statement_timestamp()) * 1000)::bigint), 12, '0')"
        f" || '7' || lpad(to_hex((({counter}) >> {_COUNTER_BITS_LOW}) & 4095), 3, '0')"
        f" || to_hex(32768 | (({counter}) & {low}))"
        " || lpad(to_hex(floor(random() * 281474976710656)::bigint), 12, '0')"
        " as uuid)"
    )
