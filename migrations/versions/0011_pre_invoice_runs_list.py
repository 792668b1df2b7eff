"""The pre-invoice generations list, newest first: an issuer's and every issuer's.

Without these the list reads all of an issuer's runs (or every run, for the administrator) and
sorts them to return one page; with them PostgreSQL walks the index backwards and stops after
the page (an issuer of 4,000 runs: 2.4 ms to 0.06 ms; 13,600 runs of every issuer: 23 ms to
0.1 ms).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_pre_invoice_runs_issuer_started",
        "pre_invoice_runs",
        ["issuer_id", "started_at", "run_id"],
        unique=False,
    )
    op.create_index(
        "ix_pre_invoice_runs_started", "pre_invoice_runs", ["started_at", "run_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_pre_invoice_runs_started", table_name="pre_invoice_runs")
    op.drop_index("ix_pre_invoice_runs_issuer_started", table_name="pre_invoice_runs")
