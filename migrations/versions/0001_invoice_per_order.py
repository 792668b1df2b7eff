"""invoice per order: reference data, orders, invoices, billing lines, subscriptions

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 23:14:14.485242
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor', sa.Text(), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('detail', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index('ix_audit_log_subject', 'audit_log', ['subject'], unique=False)
    op.create_table('partners',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('level', sa.Text(), nullable=False),
    sa.Column('parent_id', sa.Text(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('invoice_per_order', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("(level = 'distributor') = (parent_id is null)", name=op.f('ck_partners_parent_by_level')),
    sa.CheckConstraint("level in ('distributor', 'seller', 'customer')", name=op.f('ck_partners_level')),
    sa.ForeignKeyConstraint(['parent_id'], ['partners.id'], name=op.f('fk_partners_parent_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partners'))
    )
    op.create_index('ix_partners_parent_id', 'partners', ['parent_id'], unique=False)
    op.create_table('vendors',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('invoice_per_order', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vendors'))
    )
    op.create_table('invoice_number_sequences',
    sa.Column('issuer_id', sa.Text(), nullable=False),
    sa.Column('series', sa.Text(), nullable=False),
    sa.Column('last_number', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['issuer_id'], ['partners.id'], name=op.f('fk_invoice_number_sequences_issuer_id_partners')),
    sa.PrimaryKeyConstraint('issuer_id', 'series', name=op.f('pk_invoice_number_sequences'))
    )
    op.create_table('offers',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('vendor_id', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('billing_type', sa.Text(), nullable=False),
    sa.Column('unit_price', sa.Numeric(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('perpetual', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('term_months', sa.Integer(), server_default=sa.text('12'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("billing_type in ('one_time', 'recurring', 'usage')", name=op.f('ck_offers_billing_type')),
    sa.CheckConstraint('term_months > 0', name=op.f('ck_offers_term_months_positive')),
    sa.CheckConstraint('unit_price >= 0', name=op.f('ck_offers_unit_price_not_negative')),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendors.id'], name=op.f('fk_offers_vendor_id_vendors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offers'))
    )
    op.create_table('orders',
    sa.Column('order_number', sa.Text(), nullable=False),
    sa.Column('issuer_id', sa.Text(), nullable=False),
    sa.Column('customer_id', sa.Text(), nullable=False),
    sa.Column('status', sa.Text(), server_default=sa.text("'awaiting_provisioning'"), nullable=False),
    sa.Column('request_digest', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('stuck_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status in ('awaiting_provisioning', 'stuck', 'completed')", name=op.f('ck_orders_status')),
    sa.ForeignKeyConstraint(['customer_id'], ['partners.id'], name=op.f('fk_orders_customer_id_partners')),
    sa.ForeignKeyConstraint(['issuer_id'], ['partners.id'], name=op.f('fk_orders_issuer_id_partners')),
    sa.PrimaryKeyConstraint('order_number', name=op.f('pk_orders'))
    )
    op.create_index('ix_orders_customer_id', 'orders', ['customer_id'], unique=False)
    op.create_index('ix_orders_issuer_id', 'orders', ['issuer_id'], unique=False)
    op.create_index('ix_orders_stuck', 'orders', ['status'], unique=False, postgresql_where=sa.text("status = 'stuck'"))
    op.create_table('invoices',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('number', sa.Text(), nullable=False),
    sa.Column('type', sa.Text(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('issuer_id', sa.Text(), nullable=False),
    sa.Column('receiver_id', sa.Text(), nullable=True),
    sa.Column('order_number', sa.Text(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('subtotal', sa.Numeric(), nullable=False),
    sa.Column('tax', sa.Numeric(), server_default=sa.text('0'), nullable=False),
    sa.Column('total', sa.Numeric(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['issuer_id'], ['partners.id'], name=op.f('fk_invoices_issuer_id_partners')),
    sa.ForeignKeyConstraint(['order_number'], ['orders.order_number'], name=op.f('fk_invoices_order_number_orders')),
    sa.ForeignKeyConstraint(['receiver_id'], ['partners.id'], name=op.f('fk_invoices_receiver_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('issuer_id', 'number', name=op.f('uq_invoices_issuer_id_number'))
    )
    op.create_index('ix_invoices_issuer_created', 'invoices', ['issuer_id', 'created_at'], unique=False)
    op.create_index('ix_invoices_receiver_created', 'invoices', ['receiver_id', 'created_at'], unique=False)
    op.create_index('uq_invoices_per_order', 'invoices', ['order_number'], unique=True, postgresql_where=sa.text("type = 'per_order'"))
    op.create_table('order_items',
    sa.Column('order_number', sa.Text(), nullable=False),
    sa.Column('item_id', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.Text(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('provisioning', sa.Text(), server_default=sa.text("'pending'"), nullable=False),
    sa.Column('provisioning_reason', sa.Text(), nullable=True),
    sa.Column('provisioned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reported_by', sa.Text(), nullable=True),
    sa.Column('invoice_frequency', sa.Text(), nullable=True),
    sa.CheckConstraint("invoice_frequency is null or invoice_frequency in ('per_order', 'monthly')", name=op.f('ck_order_items_invoice_frequency')),
    sa.CheckConstraint("provisioning in ('pending', 'succeeded', 'failed')", name=op.f('ck_order_items_provisioning')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_order_items_quantity_positive')),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_order_items_offer_id_offers')),
    sa.ForeignKeyConstraint(['order_number'], ['orders.order_number'], name=op.f('fk_order_items_order_number_orders')),
    sa.PrimaryKeyConstraint('order_number', 'item_id', name=op.f('pk_order_items'))
    )
    op.create_table('subscriptions',
    sa.Column('id', sa.UUID(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('issuer_id', sa.Text(), nullable=False),
    sa.Column('customer_id', sa.Text(), nullable=False),
    sa.Column('offer_id', sa.Text(), nullable=False),
    sa.Column('order_number', sa.Text(), nullable=False),
    sa.Column('item_id', sa.Text(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('perpetual', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_subscriptions_quantity_positive')),
    sa.ForeignKeyConstraint(['customer_id'], ['partners.id'], name=op.f('fk_subscriptions_customer_id_partners')),
    sa.ForeignKeyConstraint(['issuer_id'], ['partners.id'], name=op.f('fk_subscriptions_issuer_id_partners')),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_subscriptions_offer_id_offers')),
    sa.ForeignKeyConstraint(['order_number', 'item_id'], ['order_items.order_number', 'order_items.item_id'], name=op.f('fk_subscriptions_order_number_order_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriptions')),
    sa.UniqueConstraint('order_number', 'item_id', name=op.f('uq_subscriptions_order_number_item_id'))
    )
    op.create_index('ix_subscriptions_customer_id', 'subscriptions', ['customer_id'], unique=False)
    op.create_table('billing_lines',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('charge_key', sa.Text(), nullable=False),
    sa.Column('issuer_id', sa.Text(), nullable=False),
    sa.Column('receiver_id', sa.Text(), nullable=False),
    sa.Column('vendor_id', sa.Text(), nullable=False),
    sa.Column('offer_id', sa.Text(), nullable=False),
    sa.Column('order_number', sa.Text(), nullable=True),
    sa.Column('item_id', sa.Text(), nullable=True),
    sa.Column('subscription_id', sa.UUID(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Numeric(), nullable=False),
    sa.Column('amount', sa.Numeric(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('invoice_frequency', sa.Text(), nullable=False),
    sa.Column('invoice_id', sa.UUID(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("invoice_frequency in ('per_order', 'monthly')", name=op.f('ck_billing_lines_invoice_frequency')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_billing_lines_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['issuer_id'], ['partners.id'], name=op.f('fk_billing_lines_issuer_id_partners')),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_billing_lines_offer_id_offers')),
    sa.ForeignKeyConstraint(['receiver_id'], ['partners.id'], name=op.f('fk_billing_lines_receiver_id_partners')),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], name=op.f('fk_billing_lines_subscription_id_subscriptions')),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendors.id'], name=op.f('fk_billing_lines_vendor_id_vendors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_lines')),
    sa.UniqueConstraint('charge_key', name=op.f('uq_billing_lines_charge_key'))
    )
    op.create_index('ix_billing_lines_invoice_id', 'billing_lines', ['invoice_id'], unique=False)
    op.create_index('ix_billing_lines_issuer_order', 'billing_lines', ['issuer_id', 'order_number'], unique=False)
    op.create_index('ix_billing_lines_uninvoiced', 'billing_lines', ['issuer_id', 'invoice_frequency'], unique=False, postgresql_where=sa.text('invoice_id is null'))


def downgrade() -> None:
    op.drop_index('ix_billing_lines_uninvoiced', table_name='billing_lines', postgresql_where=sa.text('invoice_id is null'))
    op.drop_index('ix_billing_lines_issuer_order', table_name='billing_lines')
    op.drop_index('ix_billing_lines_invoice_id', table_name='billing_lines')
    op.drop_table('billing_lines')
    op.drop_index('ix_subscriptions_customer_id', table_name='subscriptions')
    op.drop_table('subscriptions')
    op.drop_table('order_items')
    op.drop_index('uq_invoices_per_order', table_name='invoices', postgresql_where=sa.text("type = 'per_order'"))
    op.drop_index('ix_invoices_receiver_created', table_name='invoices')
    op.drop_index('ix_invoices_issuer_created', table_name='invoices')
    op.drop_table('invoices')
    op.drop_index('ix_orders_stuck', table_name='orders', postgresql_where=sa.text("status = 'stuck'"))
    op.drop_index('ix_orders_issuer_id', table_name='orders')
    op.drop_index('ix_orders_customer_id', table_name='orders')
    op.drop_table('orders')
    op.drop_table('offers')
    op.drop_table('invoice_number_sequences')
    op.drop_table('vendors')
    op.drop_index('ix_partners_parent_id', table_name='partners')
    op.drop_table('partners')
    op.drop_index('ix_audit_log_subject', table_name='audit_log')
    op.drop_table('audit_log')
