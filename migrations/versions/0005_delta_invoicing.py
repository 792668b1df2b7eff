"""delta invoicing: licences, legal entities, accounting periods, pre-invoices and their runs

Revision ID: 0005
Revises: 0006 (the partner-access revision, merged before this one)
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "partners",
        sa.Column("delta_invoicing_enabled_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "partner_licences",
        sa.Column("partner_id", sa.Text(), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column(
            "granted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_partner_licences_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("partner_id", "token", name=op.f("pk_partner_licences")),
    )
    op.create_table(
        "legal_entities",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("issuer_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["partners.id"], name=op.f("fk_legal_entities_issuer_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_entities")),
    )
    op.create_index("ix_legal_entities_issuer_id", "legal_entities", ["issuer_id"], unique=False)
    op.create_table(
        "accounting_periods",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("issuer_id", sa.Text(), nullable=False),
        sa.Column("legal_entity_id", sa.Text(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column(
            "invoicing_closed", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "ends_on >= starts_on", name=op.f("ck_accounting_periods_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["partners.id"], name=op.f("fk_accounting_periods_issuer_id_partners")
        ),
        sa.ForeignKeyConstraint(
            ["legal_entity_id"],
            ["legal_entities.id"],
            name=op.f("fk_accounting_periods_legal_entity_id_legal_entities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounting_periods")),
    )
    op.create_index(
        "ix_accounting_periods_entity_start",
        "accounting_periods",
        ["legal_entity_id", "starts_on"],
        unique=False,
    )
    op.create_index(
        "ix_accounting_periods_issuer_id", "accounting_periods", ["issuer_id"], unique=False
    )
    op.add_column("subscriptions", sa.Column("unit_price", sa.Numeric(), nullable=True))
    op.add_column(
        "subscriptions", sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "subscriptions",
        sa.Column("billed_by_delta", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.create_index(
        "ix_subscriptions_delta_receivers",
        "subscriptions",
        ["issuer_id", "customer_id"],
        unique=False,
        postgresql_where=sa.text("billed_by_delta"),
    )
    op.add_column(
        "subscriptions",
        sa.Column("financial_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    # What a generation billed each subscription at, beside the subscription: writing it there
    # would rewrite every index of the subscription's row.
    op.create_table(
        "subscription_billed",
        sa.Column("subscription_id", sa.UUID(), nullable=False),
        sa.Column("billed_version", sa.Integer(), nullable=False),
        sa.Column("billed_as_of", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("subscription_id", name=op.f("pk_subscription_billed")),
    )
    # Subscriptions made before keep the price they were sold at from now on.
    op.execute(
        "update subscriptions s set unit_price = o.unit_price from offers o"
        " where o.id = s.offer_id and s.unit_price is null"
    )
    # Whoever changes what a subscription costs, the next generation looks at it again.
    op.execute(
        """
        create function subscriptions_count_financial_change() returns trigger
        language plpgsql as $$
        begin
            new.financial_version := old.financial_version + 1;
            return new;
        end $$
        """
    )
    op.execute(
        """
        create trigger subscriptions_financial_change before update on subscriptions
        for each row when ((old.quantity, old.unit_price, old.starts_at, old.expires_at)
                           is distinct from (new.quantity, new.unit_price, new.starts_at,
                                             new.expires_at))
        execute function subscriptions_count_financial_change()
        """
    )
    op.create_table(
        "pre_invoice_runs",
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("issuer_id", sa.Text(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'running'"), nullable=False),
        sa.Column("receivers_total", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("receivers_done", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "pre_invoices_created", sa.Integer(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("lines_written", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("requested_by", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status in ('running', 'completed', 'failed')", name=op.f("ck_pre_invoice_runs_status")
        ),
        sa.UniqueConstraint(
            "requested_by", "issuer_id", name=op.f("uq_pre_invoice_runs_requested_by_issuer_id")
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["partners.id"], name=op.f("fk_pre_invoice_runs_issuer_id_partners")
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_pre_invoice_runs")),
        sa.UniqueConstraint(
            "issuer_id", "as_of", "n", name=op.f("uq_pre_invoice_runs_issuer_id_as_of_n")
        ),
    )
    op.add_column("invoices", sa.Column("accounting_period_id", sa.Text(), nullable=True))
    op.add_column("invoices", sa.Column("pre_invoice_run_id", sa.Text(), nullable=True))
    op.add_column("invoices", sa.Column("service_month", sa.Date(), nullable=True))
    op.add_column("invoices", sa.Column("finalized_at", sa.DateTime(timezone=True), nullable=True))
    op.create_foreign_key(
        op.f("fk_invoices_accounting_period_id_accounting_periods"),
        "invoices",
        "accounting_periods",
        ["accounting_period_id"],
        ["id"],
    )
    # One open pre-invoice per generation, receiver, currency and period: a retried page that
    # finds its pre-invoice finalized meanwhile opens a new one beside it.
    op.execute(
        "create unique index uq_invoices_pre_invoice on invoices (pre_invoice_run_id, receiver_id,"
        " currency, coalesce(accounting_period_id, ''), coalesce(service_month, '0001-01-01'::date))"
        " where type = 'pre_invoice' and status = 'open'"
    )
    # A final pre-invoice never changes: neither its amounts nor its status go back.
    op.execute(
        """
        create function pre_invoices_refuse_changing_final() returns trigger
        language plpgsql as $$
        begin
            raise exception 'pre-invoice % is final and cannot change', old.id
                using errcode = 'check_violation';
        end $$
        """
    )
    op.execute(
        """
        create trigger pre_invoices_final_unchanged before update on invoices
        for each row when (old.type = 'pre_invoice' and old.status = 'final'
                           and (old.subtotal, old.total, old.tax, old.status)
                               is distinct from (new.subtotal, new.total, new.tax, new.status))
        execute function pre_invoices_refuse_changing_final()
        """
    )
    op.create_table(
        "pre_invoice_lines",
        sa.Column("subscription_id", sa.UUID(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.UUID(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(), nullable=False),
        sa.Column("amount", sa.Numeric(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("sequence > 0", name=op.f("ck_pre_invoice_lines_sequence_positive")),
        sa.PrimaryKeyConstraint(
            "subscription_id", "period_start", "sequence", name=op.f("pk_pre_invoice_lines")
        ),
    )
    op.create_index(
        "ix_pre_invoice_lines_invoice_id", "pre_invoice_lines", ["invoice_id"], unique=False
    )
    # Lines attach only to open pre-invoices, whoever writes them: once per statement, over the
    # statement's lines, the pre-invoices they name are share-locked (a finalize waits for the
    # writer's commit; a writer waits for a finalize in progress and then sees it final) and
    # must all be open.
    op.execute(
        """
        create function pre_invoice_lines_only_into_open() returns trigger
        language plpgsql as $$
        declare
            named bigint;
            open_ones bigint;
        begin
            select count(*) into named
            from (select distinct invoice_id from new_lines) n;
            select count(*) into open_ones
            from (select i.id from invoices i
                  where i.id in (select invoice_id from new_lines)
                    and i.type = 'pre_invoice' and i.status = 'open'
                  for share of i) o;
            if open_ones <> named then
                raise exception 'delta lines attach only to open pre-invoices'
                    using errcode = 'check_violation';
            end if;
            return null;
        end $$
        """
    )
    for event in ("insert", "update"):
        op.execute(
            f"""
            create trigger pre_invoice_lines_open_on_{event} after {event} on pre_invoice_lines
            referencing new table as new_lines
            for each statement execute function pre_invoice_lines_only_into_open()
            """
        )
    op.create_index(
        "ix_invoices_open_pre_invoices",
        "invoices",
        ["issuer_id", "accounting_period_id"],
        unique=False,
        postgresql_where=sa.text("type = 'pre_invoice' and status = 'open'"),
    )


def downgrade() -> None:
    op.execute("drop trigger pre_invoices_final_unchanged on invoices")
    op.execute("drop function pre_invoices_refuse_changing_final()")
    op.drop_index("ix_pre_invoice_lines_invoice_id", table_name="pre_invoice_lines")
    op.drop_table("pre_invoice_lines")
    op.execute("drop function pre_invoice_lines_only_into_open()")
    op.drop_index("ix_invoices_open_pre_invoices", table_name="invoices")
    op.drop_index("uq_invoices_pre_invoice", table_name="invoices")
    op.drop_constraint(
        op.f("fk_invoices_accounting_period_id_accounting_periods"), "invoices", type_="foreignkey"
    )
    for column in ("finalized_at", "service_month", "pre_invoice_run_id", "accounting_period_id"):
        op.drop_column("invoices", column)
    op.drop_table("pre_invoice_runs")
    op.drop_index("ix_subscriptions_delta_receivers", table_name="subscriptions")
    op.execute("drop trigger subscriptions_financial_change on subscriptions")
    op.execute("drop function subscriptions_count_financial_change()")
    op.drop_table("subscription_billed")
    for column in (
        "financial_version",
        "billed_by_delta",
        "cancelled_at",
    ):
        op.drop_column("subscriptions", column)
    op.drop_column("subscriptions", "unit_price")
    op.drop_index("ix_accounting_periods_issuer_id", table_name="accounting_periods")
    op.drop_index("ix_accounting_periods_entity_start", table_name="accounting_periods")
    op.drop_table("accounting_periods")
    op.drop_index("ix_legal_entities_issuer_id", table_name="legal_entities")
    op.drop_table("legal_entities")
    op.drop_table("partner_licences")
    op.drop_column("partners", "delta_invoicing_enabled_at")
