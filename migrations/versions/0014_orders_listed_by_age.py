"""Orders listed by age, oldest or newest first: every order's, an issuer's, a customer's, and
the waiting ones.

The orders list (the API's, the console's, and order recovery's pages of waiting orders) is
keyed by (created_at, order_number). Without an index on that key every page sorted every
order it could show to return one page: 200,000 orders, 51 ms a page of 200, and order
recovery's sweep cost grew with the square of the waiting orders. With these PostgreSQL walks
the index, forwards or backwards, and stops after the page (5 ms, mostly reading its items).
The issuer's and the customer's indexes replace the ones on issuer_id and customer_id alone,
whose lookups they serve as well. Waiting
orders have an index of their own (partial), since most orders are completed: a sweep that
walked every order's index for the few still waiting read 396,000 entries for its first page
of 200 (400,000 orders, 1% waiting: 79 ms) where this one reads 201 (0.2 ms).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Built concurrently: orders take writes all day (every submission, report and billing), and
    # a plain build would hold them back for as long as it reads the table. Concurrent builds
    # run outside a transaction; one that fails leaves an invalid index behind, to be dropped
    # before the upgrade is run again.
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_orders_created",
            "orders",
            ["created_at", "order_number"],
            unique=False,
            postgresql_concurrently=True,
        )
        op.create_index(
            "ix_orders_issuer_created",
            "orders",
            ["issuer_id", "created_at", "order_number"],
            unique=False,
            postgresql_concurrently=True,
        )
        op.create_index(
            "ix_orders_customer_created",
            "orders",
            ["customer_id", "created_at", "order_number"],
            unique=False,
            postgresql_concurrently=True,
        )
        op.create_index(
            "ix_orders_waiting",
            "orders",
            ["created_at", "order_number"],
            unique=False,
            postgresql_where=sa.text("status in ('awaiting_provisioning', 'stuck')"),
            postgresql_concurrently=True,
        )
        op.drop_index("ix_orders_issuer_id", table_name="orders", postgresql_concurrently=True)
        op.drop_index("ix_orders_customer_id", table_name="orders", postgresql_concurrently=True)


def downgrade() -> None:
    op.drop_index("ix_orders_waiting", table_name="orders")
    op.create_index("ix_orders_customer_id", "orders", ["customer_id"], unique=False)
    op.drop_index("ix_orders_customer_created", table_name="orders")
    op.create_index("ix_orders_issuer_id", "orders", ["issuer_id"], unique=False)
    op.drop_index("ix_orders_issuer_created", table_name="orders")
    op.drop_index("ix_orders_created", table_name="orders")
