"""Units of work end by committing, read-only ones too, so the statements the engine runs most
stay prepared on their connection: psycopg deallocates every prepared statement on ROLLBACK."""

from __future__ import annotations

from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH, MAX_CACHED_STATEMENT_PARAMS
from sqlalchemy import Engine, text
from sqlalchemy.dialects import postgresql

from billing.database import make_engine
from billing.store.order_billing import _WRITE as BILLING_WRITE

STATEMENT = text("select count(*) from partners where id = :id")
PREPARED = text("select count(*) from pg_prepared_statements")


def run_often(engine: Engine, *, times: int = 6) -> None:
    """More than psycopg's threshold (5 executions on a connection) before it prepares."""
    for _ in range(times):
        with engine.begin() as conn:
            conn.execute(STATEMENT, {"id": "nobody"}).scalar_one()


def test_a_statement_run_often_stays_prepared_across_units_of_work(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=1)
    try:
        run_often(engine)
        with engine.begin() as conn:
            assert conn.execute(PREPARED).scalar_one() >= 1
    finally:
        engine.dispose()


def test_a_unit_that_ends_in_rollback_loses_every_prepared_statement(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=1)
    try:
        run_often(engine)
        with engine.connect() as conn:  # ends in ROLLBACK
            conn.execute(STATEMENT, {"id": "nobody"}).scalar_one()
        with engine.begin() as conn:
            assert conn.execute(PREPARED).scalar_one() == 0
    finally:
        engine.dispose()


def test_billing_an_order_is_one_statement_psycopg_parses_once() -> None:
    """psycopg keeps the parsing of a statement's placeholders only for statements up to a
    length; the write of every bill is run once per order and must stay under it."""
    compiled = BILLING_WRITE.compile(dialect=postgresql.psycopg.dialect())
    assert len(str(compiled).encode()) <= MAX_CACHED_STATEMENT_LENGTH
    assert len(compiled.params) <= MAX_CACHED_STATEMENT_PARAMS
