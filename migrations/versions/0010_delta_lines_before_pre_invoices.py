"""Delta lines may be written before the pre-invoice they name is inserted, in the same
transaction: a generation writes a page's lines first and numbers the page's new pre-invoices
last, holding the issuer's number sequence only for that.

The lines' statement trigger still refuses lines into a pre-invoice that exists and is not
open, and still share-locks the existing ones the lines name (a finalize waits for the writer's
commit; a writer waits for a finalize in progress and then sees it final). It no longer requires
every named pre-invoice to exist yet, so it no longer locks the page's new ones either: nobody
else can see them before the commit.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        create or replace function pre_invoice_lines_only_into_open() returns trigger
        language plpgsql as $$
        begin
            if exists (
                select 1
                from (select i.type, i.status from invoices i
                      where i.id in (select distinct invoice_id from new_lines)
                      for share of i) named
                where not (named.type = 'pre_invoice' and named.status = 'open')
            ) then
                raise exception 'delta lines attach only to open pre-invoices'
                    using errcode = 'check_violation';
            end if;
            return null;
        end $$
        """
    )


def downgrade() -> None:
    op.execute(
        """
        create or replace function pre_invoice_lines_only_into_open() returns trigger
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
