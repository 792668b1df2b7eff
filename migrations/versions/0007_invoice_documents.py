"""invoice documents: partners' postal address, tax id, time zone and locale

Revision ID: 0007
Revises: 0008
Create Date: 2026-12-01

An invoice a customer's accounts-payable clerk accepts names issuer and receiver with postal
address and tax id; the console and the PDF write dates in the partner's time zone and amounts
in its locale.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("partners", sa.Column("postal_address", sa.Text(), nullable=True))
    op.add_column("partners", sa.Column("tax_id", sa.Text(), nullable=True))
    op.add_column(
        "partners",
        sa.Column("time_zone", sa.Text(), server_default=sa.text("'UTC'"), nullable=False),
    )
    op.add_column(
        "partners",
        sa.Column("locale", sa.Text(), server_default=sa.text("'en_US'"), nullable=False),
    )


def downgrade() -> None:
    for column in ("locale", "time_zone", "tax_id", "postal_address"):
        op.drop_column("partners", column)
