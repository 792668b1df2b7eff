"""The tax invoice as it read when tax sync completed.

Tax sync no longer renders the PDF: it keeps the document the PDF is printed from, and the first
download renders and stores it. Summaries completed before keep the PDF they already have.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "summary_invoices",
        sa.Column("tax_invoice", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("summary_invoices", "tax_invoice")
