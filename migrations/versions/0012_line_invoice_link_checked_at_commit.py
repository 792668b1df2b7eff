"""A line's invoice may be checked at commit: a billing run links a page's lines to the ids of
invoices it inserts last in the same transaction, so that the issuer's number sequence is
locked only for that insert and pages of different customers run side by side.

The constraint stays checked at once (initially immediate) for every other writer; only a
transaction that asks for it (`set constraints ... deferred`) defers it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "alter table billing_lines alter constraint fk_billing_lines_invoice_id_invoices "
        "deferrable initially immediate"
    )


def downgrade() -> None:
    op.execute(
        "alter table billing_lines alter constraint fk_billing_lines_invoice_id_invoices "
        "not deferrable"
    )
