"""Billing line indexes that the queries use, and none they do not.

Search by order number (substring, any case) gets a trigram index; the order-number sort and
the default (oldest first) page get btrees on the keys the API sorts by; the invoice index skips
uninvoiced lines; the two partial indexes no query needed (issuer + frequency, issuer + vendor)
are gone.

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Trusted since PostgreSQL 13: the database owner may create it without superuser.
    op.execute("create extension if not exists pg_trgm")
    op.drop_index("ix_billing_lines_issuer_order", table_name="billing_lines")
    op.drop_index(
        "ix_billing_lines_uninvoiced",
        table_name="billing_lines",
        postgresql_where=sa.text("invoice_id is null"),
    )
    op.drop_index(
        "ix_billing_lines_unbilled_vendor",
        table_name="billing_lines",
        postgresql_where=sa.text("invoice_id is null"),
    )
    op.drop_index("ix_billing_lines_invoice_id", table_name="billing_lines")
    op.create_index(
        "ix_billing_lines_invoice_id",
        "billing_lines",
        ["invoice_id"],
        unique=False,
        postgresql_where=sa.text("invoice_id is not null"),
    )
    op.create_index(
        "ix_billing_lines_issuer_order_key",
        "billing_lines",
        ["issuer_id", sa.text("coalesce(order_number, '')"), "id"],
        unique=False,
    )
    op.create_index(
        "ix_billing_lines_issuer_created",
        "billing_lines",
        ["issuer_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_billing_lines_order_number_trgm",
        "billing_lines",
        ["order_number"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"order_number": "gin_trgm_ops"},
        postgresql_where=sa.text("order_number is not null"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_billing_lines_order_number_trgm",
        table_name="billing_lines",
        postgresql_where=sa.text("order_number is not null"),
    )
    op.drop_index("ix_billing_lines_issuer_created", table_name="billing_lines")
    op.drop_index("ix_billing_lines_issuer_order_key", table_name="billing_lines")
    op.drop_index(
        "ix_billing_lines_invoice_id",
        table_name="billing_lines",
        postgresql_where=sa.text("invoice_id is not null"),
    )
    op.create_index("ix_billing_lines_invoice_id", "billing_lines", ["invoice_id"], unique=False)
    op.create_index(
        "ix_billing_lines_unbilled_vendor",
        "billing_lines",
        ["issuer_id", "vendor_id"],
        unique=False,
        postgresql_where=sa.text("invoice_id is null"),
    )
    op.create_index(
        "ix_billing_lines_uninvoiced",
        "billing_lines",
        ["issuer_id", "invoice_frequency"],
        unique=False,
        postgresql_where=sa.text("invoice_id is null"),
    )
    op.create_index(
        "ix_billing_lines_issuer_order", "billing_lines", ["issuer_id", "order_number"], unique=False
    )
