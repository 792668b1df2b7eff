"""What the month-end run and billing-day consolidation share: set-based SQL that turns a page
of uninvoiced lines (staged in the temp table `run_lines`) into invoices, in the caller's
transaction.

Gapless numbers: each invoice takes its number in the insert that writes it, under a lock on
the issuer's sequence row (the same row per-order invoices take), locked only for that last
statement. Idempotency: a line is linked only while its invoice_id is NULL, and each invoice
carries (issuer, type, period, grouping key, round), unique in the schema, so a group already
invoiced in the round makes nothing and a second invoice for one could never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from billing.invoice_numbers import INVOICE_SERIES
from billing.money import _MINOR_UNITS_OTHER_THAN_TWO
from billing.payment_terms import DAYS
from billing.store.ascending_ids import ascending_uuid_sql


def payment_term_days_sql(column: str) -> str:
    """CASE expression: the payment term's days (billing.payment_terms.DAYS)."""
    whens = " ".join(f"when '{term.value}' then {days}" for term, days in DAYS.items())
    return f"(case {column} {whens} else 0 end)"


def minor_units_sql(column: str) -> str:
    """CASE expression: the currency's ISO 4217 minor units (billing.money)."""
    whens = " ".join(f"when '{c}' then {n}" for c, n in _MINOR_UNITS_OTHER_THAN_TWO.items())
    return f"(case {column} {whens} else 2 end)"


def key_part_sql(expression: str) -> str:
    """One field of a stored grouping key, escaped as billing.invoice_grouping.stored_key does."""
    return rf"replace(replace(coalesce({expression}, ''), '\', '\\'), '|', '\|')"


def grouping_key_sql(
    *,
    currency: str,
    receiver_id: str = "null",
    vendor_id: str = "null",
    invoice_group_number: str = "null",
    bill_to_contact: str = "null",
    payment_term: str = "null",
) -> str:
    """The stored grouping key of billing.invoice_grouping.stored_key, from SQL expressions for
    the fields of a GroupingKey (a field the grouping does not use stays null), in its order."""
    parts = (receiver_id, vendor_id, invoice_group_number, bill_to_contact, payment_term, currency)
    return " || '|' || ".join(key_part_sql(part) for part in parts)


def number_sql(n: str, series: str = INVOICE_SERIES) -> str:
    """The invoice number billing.invoice_numbers.invoice_number gives for `series` and `n`."""
    return f"'{series}-' || lpad(({n})::text, greatest(6, length(({n})::text)), '0')"


def lock_sequences(
    conn: Connection, issuer_ids: Sequence[str], series: str = INVOICE_SERIES
) -> dict[str, int]:
    """Lock the issuers' number sequences (in id order: no deadlocks) and return their last
    numbers. A missing row starts at 0, so the next per-order invoice still takes number 1."""
    ids = sorted(set(issuer_ids))
    if not ids:
        return {}
    conn.execute(
        text(
            "insert into invoice_number_sequences (issuer_id, series, last_number) "
            "select unnest(cast(:ids as text[])), :series, 0 on conflict do nothing"
        ),
        {"ids": ids, "series": series},
    )
    rows = conn.execute(
        text(
            "select issuer_id, last_number from invoice_number_sequences "
            "where series = :series and issuer_id = any(:ids) order by issuer_id for update"
        ),
        {"ids": ids, "series": series},
    ).all()
    return {row.issuer_id: row.last_number for row in rows}


@dataclass(frozen=True)
class Invoiced:
    invoices_created: int
    lines_invoiced: int


# Invoicing staged lines takes two statements, so that the issuer's number sequence, which
# every per-order invoice of the issuer waits for too, is locked only for the second:
# 1. one group per grouping key of the staged lines (on a retry, only the groups not invoiced
#    in this round yet), each with its invoice's id (ascending); the staged lines still
#    uninvoiced join their group's invoice-to-be (the foreign key to the invoice is checked at
#    commit), with what that renews and completes; and each group that got lines is kept with
#    the total of the lines it got;
# 2. under the sequence lock, one invoice per kept group, numbered in the order of its first line.
# Pages of disjoint customers therefore run side by side and take turns only for the second.
# Two writers that staged the same line (a retried page beside the attempt it replaced) cannot
# both take it: the second one's update waits for the first one's row lock, then sees the line
# invoiced and skips it.

_GROUP_FIELDS = """issuer_id, period, grouping_key, receiver_id, vendor_id, currency,
                   invoice_group_number, bill_to_contact, payment_term, due_date"""

# Lines that arrived after their group was invoiced in this round wait for the next one, as
# the unique run-group key demands. Only a retried page can meet them, and only a page that
# met one asks: the check reads an invoice per group, which a first page need not pay for.
_NOT_INVOICED_THIS_ROUND = """
        where not exists (
            select 1 from invoices i
            where i.issuer_id = r.issuer_id and i.type = :type and i.period = r.period
              and i.grouping_key = r.grouping_key and i.run_round = :round
        )"""


def _link_renew_and_complete_sql(*, leave_out_invoiced: bool) -> str:
    return f"""
    with groups as (
        select {ascending_uuid_sql("row_number() over (order by issuer_id, min(id))")}
                   as invoice_id,
               {_GROUP_FIELDS}
        from run_lines r
        {_NOT_INVOICED_THIS_ROUND if leave_out_invoiced else ""}
        group by {_GROUP_FIELDS}
    ),
    linked as (
        update billing_lines l set invoice_id = g.invoice_id
        from run_lines r
        join groups g using (issuer_id, period, grouping_key)
        where l.id = r.id and l.invoice_id is null
        returning l.id, l.invoice_id, l.amount, l.subscription_id, l.order_number
    ),
    renewed as (
        update subscriptions s
        set expires_at = s.expires_at + make_interval(months => o.term_months),
            renewal_order_number = null
        from linked k, offers o
        where s.id = k.subscription_id and s.renewal_order_number = k.order_number
          and o.id = s.offer_id
        returning 1
    ),
    closed as (
        update orders set status = 'completed', completed_at = now()
        where status = 'open'
          and order_number in (select order_number from linked where order_number is not null)
        returning 1
    ),
    kept as (
        insert into run_invoices
        select g.*, t.subtotal, t.first_line
        from (select invoice_id, sum(amount) as subtotal, min(id) as first_line
              from linked group by invoice_id) t
        join groups g using (invoice_id)
        returning issuer_id
    )
    select (select count(*) from linked) as lines,
           (select coalesce(array_agg(distinct issuer_id), '{{}}') from kept) as issuers,
           (select count(*) from renewed) + (select count(*) from closed) as side_effects
    """


_LINK_RENEW_AND_COMPLETE = _link_renew_and_complete_sql(leave_out_invoiced=False)
_LINK_LEAVING_OUT_INVOICED = _link_renew_and_complete_sql(leave_out_invoiced=True)

# No ON CONFLICT: an invoice another writer made for one of the groups since the first
# statement violates the unique run-group key, which rolls the page back to its savepoint.
_INSERT_NUMBERED_INVOICES = f"""
    with numbering as (
        select unnest(cast(:issuers as text[])) as issuer_id,
               unnest(cast(:lasts as bigint[])) as last_number
    ),
    inserted as (
        insert into invoices (
            id, number, type, status, issuer_id, receiver_id, vendor_id, currency,
            subtotal, total, bill_to_contact, payment_term, due_date,
            invoice_group_number, period, grouping_key, run_round
        )
        select invoice_id, {number_sql("seq")}, :type, 'verified', issuer_id,
               receiver_id, vendor_id, currency, subtotal, subtotal, bill_to_contact,
               payment_term, due_date, invoice_group_number, period, grouping_key, :round
        from (select k.*, n.last_number + row_number() over (
                         partition by k.issuer_id order by k.first_line) as seq
              from run_invoices k join numbering n using (issuer_id)) numbered
        returning issuer_id
    ),
    advanced as (
        update invoice_number_sequences q set last_number = q.last_number + c.n
        from (select issuer_id, count(*) as n from inserted group by issuer_id) c
        where q.issuer_id = c.issuer_id and q.series = :series
        returning 1
    )
    select (select count(*) from inserted) as invoices, (select count(*) from advanced) as moved
    """

_RUN_INVOICES = """
    create temp table run_invoices (
        invoice_id uuid primary key, issuer_id text, period text, grouping_key text,
        receiver_id text, vendor_id text, currency text, invoice_group_number text,
        bill_to_contact text, payment_term text, due_date date,
        subtotal numeric not null, first_line bigint not null
    ) on commit drop
    """

_UNIQUE_VIOLATION = "23505"
# The retry leaves out the groups invoiced in the round, the one that refused included; the
# bound is for a refusal by another unique index, which a retry meets again.
_ATTEMPTS = 3


def invoice_renew_and_complete(conn: Connection, *, invoice_type: str, run_round: int) -> Invoiced:
    """Invoice the staged lines of `run_lines` (one numbered invoice per grouping key), renew
    the subscriptions whose renewal order they invoice, and complete their open orders.

    `run_lines` has: id, issuer_id, receiver_id (null for a per-vendor invoice), vendor_id
    (null unless per vendor), currency, amount, invoice_group_number, bill_to_contact,
    payment_term, period, due_date, grouping_key.

    Lines of a group this round has invoiced already (they arrived after their group's
    invoice, and a retried page meets them) are left for the next round.
    """
    params = {"type": invoice_type, "round": run_round}
    conn.execute(text(_RUN_INVOICES))
    conn.execute(text("set constraints fk_billing_lines_invoice_id_invoices deferred"))
    attempt = 0
    while True:
        attempt += 1
        try:
            with conn.begin_nested():
                link = _LINK_RENEW_AND_COMPLETE if attempt == 1 else _LINK_LEAVING_OUT_INVOICED
                linked = conn.execute(text(link), params).one()
                last_numbers = lock_sequences(conn, list(linked.issuers))
                made = conn.execute(
                    text(_INSERT_NUMBERED_INVOICES),
                    {
                        **params,
                        "issuers": list(last_numbers),
                        "lasts": list(last_numbers.values()),
                        "series": INVOICE_SERIES,
                    },
                ).one()
            return Invoiced(invoices_created=made.invoices, lines_invoiced=linked.lines)
        except IntegrityError as error:
            if getattr(error.orig, "sqlstate", None) != _UNIQUE_VIOLATION or attempt == _ATTEMPTS:
                raise


def add_progress(
    conn: Connection, run_id: str, *, customers: int, invoiced: Invoiced, renewals: int = 0
) -> None:
    conn.execute(
        text(
            """
            update billing_runs set customers_done = customers_done + :customers,
                   invoices_created = invoices_created + :invoices,
                   lines_invoiced = lines_invoiced + :lines,
                   renewal_orders_created = renewal_orders_created + :renewals
            where run_id = :run_id
            """
        ),
        {
            "run_id": run_id,
            "customers": customers,
            "invoices": invoiced.invoices_created,
            "lines": invoiced.lines_invoiced,
            "renewals": renewals,
        },
    )
