"""A real refusal by PostgreSQL of one order's invoice: a trigger that raises on its insert, for
as long as the block runs. Billing fails there as it would on a database that refuses writes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text


@contextmanager
def refused_invoice(engine: Engine, order_number: str) -> Iterator[None]:
    # DDL takes no bound parameters; an order number is an identifier, never quoted text.
    assert re.fullmatch(r"[A-Za-z0-9._:@-]+", order_number), order_number
    name = "refuse_invoice_" + re.sub(r"[^a-z0-9]", "_", order_number.lower())
    with engine.begin() as conn:
        conn.execute(
            text(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'invoices refused for now'; END $$"
            )
        )
        conn.execute(
            text(
                f"CREATE TRIGGER {name} BEFORE INSERT ON invoices FOR EACH ROW "
                f"WHEN (NEW.order_number = '{order_number}') EXECUTE FUNCTION {name}()"
            )
        )
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP TRIGGER IF EXISTS {name} ON invoices"))
            conn.execute(text(f"DROP FUNCTION IF EXISTS {name}()"))
