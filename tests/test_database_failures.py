"""An activity's database error reaches Temporal as the driver's message: short enough for the
server to keep and the Temporal UI to show, and without the statement's parameters."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from billing.temporal.database_failures import database_failure


def refused_by_postgres(engine: Engine) -> DBAPIError:
    """A statement as long as the engine's set-based ones, with a customer among its parameters."""
    columns = ", ".join(f"cast(:customer as text) as customer_{n}" for n in range(150))
    with engine.connect() as conn, pytest.raises(DBAPIError) as refused:
        conn.execute(text(f"select {columns}, 1 / 0 as nothing"), {"customer": "customer-000042"})
    return refused.value


def test_a_database_error_is_reported_by_the_drivers_message_alone(engine: Engine) -> None:
    error = refused_by_postgres(engine)
    assert len(str(error)) > 5000  # SQLAlchemy's text carries the statement and every parameter

    failure = database_failure(error)

    assert failure.message.startswith("DivisionByZero: division by zero"), failure.message
    assert "customer-000042" not in failure.message
    assert len(failure.message) < 500
    # Typed as before, so whatever matches on the type still does; a database error is retried.
    assert failure.type == "DataError"
    assert not failure.non_retryable
