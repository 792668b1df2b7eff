"""partner access: token ids, scopes, expiry, revocation and last use; run rounds

Tokens issued before scopes existed keep every scope, so nothing that works today stops.
A month-end or consolidation run asked again for a finished period is a new round: the
invoices it makes for lines that arrived since carry that round in their unique group key.

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "partner_tokens",
        sa.Column(
            "id", postgresql.UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()"),
            nullable=False,
        ),
    )
    op.create_unique_constraint("uq_partner_tokens_id", "partner_tokens", ["id"])
    op.add_column(
        "partner_tokens",
        sa.Column(
            "scopes", postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{read,orders,billing-admin}'"), nullable=False,
        ),
    )
    op.alter_column("partner_tokens", "scopes", server_default=None)
    op.create_check_constraint(
        "ck_partner_tokens_scopes",
        "partner_tokens",
        "scopes <@ array['read', 'orders', 'billing-admin'] and cardinality(scopes) > 0",
    )
    op.add_column("partner_tokens", sa.Column("expires_at", sa.DateTime(timezone=True)))
    op.add_column("partner_tokens", sa.Column("revoked_at", sa.DateTime(timezone=True)))
    op.add_column("partner_tokens", sa.Column("last_used_at", sa.DateTime(timezone=True)))

    op.add_column(
        "billing_runs",
        sa.Column("round", sa.Integer(), server_default=sa.text("1"), nullable=False),
    )
    op.add_column(
        "invoices",
        sa.Column("run_round", sa.Integer(), server_default=sa.text("1"), nullable=False),
    )
    op.drop_index("uq_invoices_run_group", table_name="invoices")
    op.create_index(
        "uq_invoices_run_group",
        "invoices",
        ["issuer_id", "type", "period", "grouping_key", "run_round"],
        unique=True,
        postgresql_where=sa.text("grouping_key is not null"),
    )


def downgrade() -> None:
    op.drop_index("uq_invoices_run_group", table_name="invoices")
    op.create_index(
        "uq_invoices_run_group",
        "invoices",
        ["issuer_id", "type", "period", "grouping_key"],
        unique=True,
        postgresql_where=sa.text("grouping_key is not null"),
    )
    op.drop_column("invoices", "run_round")
    op.drop_column("billing_runs", "round")
    op.drop_constraint("ck_partner_tokens_scopes", "partner_tokens")
    for column in ("last_used_at", "revoked_at", "expires_at", "scopes"):
        op.drop_column("partner_tokens", column)
    op.drop_constraint("uq_partner_tokens_id", "partner_tokens")
    op.drop_column("partner_tokens", "id")
