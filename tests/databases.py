"""Scratch databases for tests, history recording and benchmarks: a fresh database on the
DATABASE_URL server (or an embedded one), migrated, and dropped afterwards."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from billing.database import sqlalchemy_url, start_embedded_postgres
from billing.migrate import upgrade


@contextmanager
def fresh_database(prefix: str = "billing_test") -> Iterator[str]:
    server = os.environ.get("DATABASE_URL") or start_embedded_postgres(
        Path(tempfile.mkdtemp(prefix=f"{prefix}-")) / "pg"
    )
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(sqlalchemy_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'create database "{name}"'))
    url = make_url(sqlalchemy_url(server)).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()
