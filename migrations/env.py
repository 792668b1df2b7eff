"""Alembic environment: the URL comes from the caller (billing.migrate) or DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from billing.database import resolve_database_url, sqlalchemy_url
from billing.schema import metadata
from billing.settings import get_settings

config = context.config
url = config.attributes.get("database_url") or resolve_database_url(get_settings().database_url)

engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
