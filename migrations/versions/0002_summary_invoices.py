"""summary invoices: requests, summaries, tax documents, partner tokens

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 23:21:19.902693

Summary invoices: partner setting and country, summary requests, summary invoices as
invoices of type 'summary' with their lines (each billing line consolidated once, by primary
key), per-currency totals, tax documents (one per summary invoice) and partner API tokens.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('partner_tokens',
    sa.Column('token_hash', sa.Text(), nullable=False),
    sa.Column('partner_id', sa.Text(), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_partner_tokens_partner_id_partners')),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_partner_tokens'))
    )
    op.create_index('ix_partner_tokens_partner_id', 'partner_tokens', ['partner_id'], unique=False)
    op.create_table('summary_requests',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('issuer_id', sa.Text(), nullable=False),
    sa.Column('invoice_date', sa.Date(), nullable=False),
    sa.Column('status', sa.Text(), server_default=sa.text("'in_progress'"), nullable=False),
    sa.Column('requested_by', sa.Text(), nullable=False),
    sa.Column('invoices_added', sa.Integer(), nullable=False),
    sa.Column('invoices_skipped', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status in ('in_progress', 'complete')", name=op.f('ck_summary_requests_status')),
    sa.ForeignKeyConstraint(['issuer_id'], ['partners.id'], name=op.f('fk_summary_requests_issuer_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_summary_requests'))
    )
    op.create_index('ix_summary_requests_issuer_created', 'summary_requests', ['issuer_id', 'created_at'], unique=False)
    op.create_table('summary_invoices',
    sa.Column('invoice_id', sa.UUID(), nullable=False),
    sa.Column('request_id', sa.UUID(), nullable=False),
    sa.Column('receiver_id', sa.Text(), nullable=False),
    sa.Column('invoice_date', sa.Date(), nullable=False),
    sa.Column('state', sa.Text(), server_default=sa.text("'New'"), nullable=False),
    sa.Column('reference_code', sa.Text(), nullable=True),
    sa.Column('tax_failure_reason', sa.Text(), nullable=True),
    sa.Column('tax_attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.Column('state_changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("state <> 'TaxCompleted' or reference_code is not null", name=op.f('ck_summary_invoices_reference')),
    sa.CheckConstraint("state in ('New', 'TaxInProgress', 'TaxCompleted', 'TaxFailed')", name=op.f('ck_summary_invoices_state')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_summary_invoices_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['receiver_id'], ['partners.id'], name=op.f('fk_summary_invoices_receiver_id_partners')),
    sa.ForeignKeyConstraint(['request_id'], ['summary_requests.id'], name=op.f('fk_summary_invoices_request_id_summary_requests')),
    sa.PrimaryKeyConstraint('invoice_id', name=op.f('pk_summary_invoices')),
    sa.UniqueConstraint('request_id', 'receiver_id', name=op.f('uq_summary_invoices_request_id_receiver_id'))
    )
    op.create_index('ix_summary_invoices_state', 'summary_invoices', ['state'], unique=False)
    op.create_table('summary_request_invoices',
    sa.Column('request_id', sa.UUID(), nullable=False),
    sa.Column('invoice_id', sa.UUID(), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_summary_request_invoices_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['request_id'], ['summary_requests.id'], name=op.f('fk_summary_request_invoices_request_id_summary_requests')),
    sa.PrimaryKeyConstraint('request_id', 'invoice_id', name=op.f('pk_summary_request_invoices'))
    )
    op.create_table('summary_invoice_totals',
    sa.Column('summary_invoice_id', sa.UUID(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('subtotal', sa.Numeric(), nullable=False),
    sa.Column('tax', sa.Numeric(), server_default=sa.text('0'), nullable=False),
    sa.Column('total', sa.Numeric(), nullable=False),
    sa.ForeignKeyConstraint(['summary_invoice_id'], ['summary_invoices.invoice_id'], name=op.f('fk_summary_invoice_totals_summary_invoice_id_summary_invoices')),
    sa.PrimaryKeyConstraint('summary_invoice_id', 'currency', name=op.f('pk_summary_invoice_totals'))
    )
    op.create_table('tax_documents',
    sa.Column('summary_invoice_id', sa.UUID(), nullable=False),
    sa.Column('provider', sa.Text(), nullable=False),
    sa.Column('document_code', sa.Text(), nullable=False),
    sa.Column('reference_code', sa.Text(), nullable=False),
    sa.Column('committed', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['summary_invoice_id'], ['summary_invoices.invoice_id'], name=op.f('fk_tax_documents_summary_invoice_id_summary_invoices')),
    sa.PrimaryKeyConstraint('summary_invoice_id', name=op.f('pk_tax_documents')),
    sa.UniqueConstraint('document_code', name=op.f('uq_tax_documents_document_code'))
    )
    op.create_table('summary_invoice_lines',
    sa.Column('billing_line_id', sa.BigInteger(), nullable=False),
    sa.Column('summary_invoice_id', sa.UUID(), nullable=False),
    sa.Column('source_invoice_id', sa.UUID(), nullable=False),
    sa.ForeignKeyConstraint(['billing_line_id'], ['billing_lines.id'], name=op.f('fk_summary_invoice_lines_billing_line_id_billing_lines')),
    sa.ForeignKeyConstraint(['source_invoice_id'], ['invoices.id'], name=op.f('fk_summary_invoice_lines_source_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['summary_invoice_id'], ['summary_invoices.invoice_id'], name=op.f('fk_summary_invoice_lines_summary_invoice_id_summary_invoices')),
    sa.PrimaryKeyConstraint('billing_line_id', name=op.f('pk_summary_invoice_lines'))
    )
    op.create_index('ix_summary_invoice_lines_source', 'summary_invoice_lines', ['source_invoice_id'], unique=False)
    op.create_index('ix_summary_invoice_lines_summary', 'summary_invoice_lines', ['summary_invoice_id'], unique=False)
    op.alter_column('invoices', 'currency',
               existing_type=sa.VARCHAR(length=3),
               nullable=True)
    op.alter_column('invoices', 'subtotal',
               existing_type=sa.NUMERIC(),
               nullable=True)
    op.alter_column('invoices', 'total',
               existing_type=sa.NUMERIC(),
               nullable=True)
    op.add_column('partners', sa.Column('summary_invoices', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.add_column('partners', sa.Column('country', sa.String(length=2), nullable=True))
    # A summary holding several currencies has no single currency or amount on its invoice row.
    op.create_check_constraint(
        'amounts_unless_summary',
        'invoices',
        "type = 'summary' or (currency is not null and subtotal is not null and total is not null)",
    )


def downgrade() -> None:
    op.drop_constraint(op.f('ck_invoices_amounts_unless_summary'), 'invoices', type_='check')
    op.drop_column('partners', 'country')
    op.drop_column('partners', 'summary_invoices')
    op.alter_column('invoices', 'total',
               existing_type=sa.NUMERIC(),
               nullable=False)
    op.alter_column('invoices', 'subtotal',
               existing_type=sa.NUMERIC(),
               nullable=False)
    op.alter_column('invoices', 'currency',
               existing_type=sa.VARCHAR(length=3),
               nullable=False)
    op.drop_index('ix_summary_invoice_lines_summary', table_name='summary_invoice_lines')
    op.drop_index('ix_summary_invoice_lines_source', table_name='summary_invoice_lines')
    op.drop_table('summary_invoice_lines')
    op.drop_table('tax_documents')
    op.drop_table('summary_invoice_totals')
    op.drop_table('summary_request_invoices')
    op.drop_index('ix_summary_invoices_state', table_name='summary_invoices')
    op.drop_table('summary_invoices')
    op.drop_index('ix_summary_requests_issuer_created', table_name='summary_requests')
    op.drop_table('summary_requests')
    op.drop_index('ix_partner_tokens_partner_id', table_name='partner_tokens')
    op.drop_table('partner_tokens')
