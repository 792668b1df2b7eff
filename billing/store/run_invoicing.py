"""What the month-end run and billing-day consolidation share: set-based SQL that turns a page
of uninvoiced lines (staged in the temp table `run_lines`) into invoices, in the caller's
transaction.

Gapless numbers: the issuer's sequence row is locked first (the same row per-order invoices
take), which also serialises every run that invoices for that issuer, so two runs never race
for the same lines; each invoice takes its number in the insert that writes it, and only groups
not invoiced yet are numbered. Idempotency: each invoice carries (issuer, type, period,
grouping key, round), unique in the schema, so a group already invoiced makes nothing (and a
second invoice for one could never commit); lines are linked only where invoice_id is still
NULL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

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


# The steps of invoicing staged lines, as the parts of one statement: PostgreSQL runs them on
# one snapshot in one round trip, each reading what the one before it returned.

# One group per grouping key of the staged lines, with its subtotal and its first line.
_GROUP_STAGED_LINES = """
    groups as (
        select issuer_id, period, grouping_key, receiver_id, vendor_id, currency,
               invoice_group_number, bill_to_contact, payment_term, due_date,
               sum(amount) as subtotal, min(id) as first_line
        from run_lines
        group by issuer_id, period, grouping_key, receiver_id, vendor_id, currency,
                 invoice_group_number, bill_to_contact, payment_term, due_date
    )"""

# The groups, numbered after their issuer's last number in the order of their first line.
_NUMBER_GROUPS = """
    numbering as (
        select unnest(cast(:issuers as text[])) as issuer_id,
               unnest(cast(:lasts as bigint[])) as last_number
    ),
    new_groups as (
        select g.*, n.last_number + row_number() over (
                   partition by g.issuer_id order by g.first_line) as seq,
               row_number() over (order by g.issuer_id, g.first_line) as made
        from groups g join numbering n using (issuer_id)
    )"""

# One invoice per group, numbered as it is written. No ON CONFLICT: a group this round has
# invoiced already violates the unique run-group key, which rolls the statement back instead of
# leaving a gap in the numbers (see invoice_renew_and_complete).
_INSERT_NUMBERED_INVOICES = f"""
    inserted as (
        insert into invoices (
            id, number, type, status, issuer_id, receiver_id, vendor_id, currency,
            subtotal, total, bill_to_contact, payment_term, due_date,
            invoice_group_number, period, grouping_key, run_round
        )
        select {ascending_uuid_sql("made")}, {number_sql("seq")}, :type, 'verified', issuer_id,
               receiver_id, vendor_id, currency, subtotal, subtotal, bill_to_contact,
               payment_term, due_date, invoice_group_number, period, grouping_key, :round
        from new_groups
        returning id, issuer_id, period, grouping_key
    )"""

# The same, for a page some of whose groups this round has invoiced already (lines that arrived
# after their group's invoice was made): the unique index skips those groups, and the invoices
# it did write are numbered afterwards (number_new_invoices), once it is known which they are.
_INSERT_NEW_INVOICES = """
    inserted as (
        insert into invoices (
            number, type, status, issuer_id, receiver_id, vendor_id, currency,
            subtotal, total, bill_to_contact, payment_term, due_date,
            invoice_group_number, period, grouping_key, run_round
        )
        select 'pending:' || gen_random_uuid(), :type, 'verified', issuer_id,
               receiver_id, vendor_id, currency, subtotal, subtotal, bill_to_contact,
               payment_term, due_date, invoice_group_number, period, grouping_key, :round
        from groups
        on conflict (issuer_id, type, period, grouping_key, run_round)
            where grouping_key is not null do nothing
        returning id, issuer_id, period, grouping_key
    )"""

# Each staged line not invoiced yet joins its group's new invoice.
_LINK_LINES_TO_NEW_INVOICES = """
    linked as (
        update billing_lines l set invoice_id = ins.id
        from run_lines r
        join inserted ins using (issuer_id, period, grouping_key)
        where l.id = r.id and l.invoice_id is null
        returning l.id, l.subscription_id, l.order_number
    )"""

# The issuers' sequences (locked by the caller) move past the numbers just taken.
_ADVANCE_SEQUENCES = """
    advanced as (
        update invoice_number_sequences q set last_number = q.last_number + c.n
        from (select issuer_id, count(*) as n from inserted group by issuer_id) c
        where q.issuer_id = c.issuer_id and q.series = :series
        returning 1
    )"""

# Once the invoice for a renewal order exists, the subscription renews for another term.
_RENEW_SUBSCRIPTIONS_OF_INVOICED_RENEWALS = """
    renewed as (
        update subscriptions s
        set expires_at = s.expires_at + make_interval(months => o.term_months),
            renewal_order_number = null
        from linked k, offers o
        where s.id = k.subscription_id and s.renewal_order_number = k.order_number
          and o.id = s.offer_id
        returning 1
    )"""

# An open order whose lines are invoiced is complete.
_COMPLETE_ORDERS_OF_INVOICED_LINES = """
    closed as (
        update orders set status = 'completed', completed_at = now()
        where status = 'open'
          and order_number in (select order_number from linked where order_number is not null)
        returning 1
    )"""

_RESULT = """
    select coalesce((select array_agg(id) from inserted), '{}') as ids,
           (select count(*) from linked) as lines,
           (select count(*) from renewed) + (select count(*) from closed) as side_effects
    """


def _statement(*parts: str) -> str:
    return "with" + ",".join(parts) + _RESULT


_INVOICE_NUMBERED = _statement(
    _GROUP_STAGED_LINES,
    _NUMBER_GROUPS,
    _INSERT_NUMBERED_INVOICES,
    _LINK_LINES_TO_NEW_INVOICES,
    _ADVANCE_SEQUENCES,
    _RENEW_SUBSCRIPTIONS_OF_INVOICED_RENEWALS,
    _COMPLETE_ORDERS_OF_INVOICED_LINES,
)
_INVOICE_NEW_GROUPS = _statement(
    _GROUP_STAGED_LINES,
    _INSERT_NEW_INVOICES,
    _LINK_LINES_TO_NEW_INVOICES,
    _RENEW_SUBSCRIPTIONS_OF_INVOICED_RENEWALS,
    _COMPLETE_ORDERS_OF_INVOICED_LINES,
)
_UNIQUE_VIOLATION = "23505"


def invoice_renew_and_complete(
    conn: Connection, *, invoice_type: str, last_numbers: dict[str, int], run_round: int
) -> Invoiced:
    """Invoice the staged lines of `run_lines` (one numbered invoice per grouping key), renew
    the subscriptions whose renewal order they invoice, and complete their open orders.

    `run_lines` has: id, issuer_id, receiver_id (null for a per-vendor invoice), vendor_id
    (null unless per vendor), currency, amount, invoice_group_number, bill_to_contact,
    payment_term, period, due_date, grouping_key. `last_numbers` are the last numbers of the
    issuers' sequences, which the caller has locked.

    Each invoice is written once, with its number, when none of the page's groups has an
    invoice in this round yet (every page of a first run). A page that meets one (lines that
    arrived after their group was invoiced, in a retried page) violates the run-group key, rolls
    that back to its savepoint and takes the way that skips such groups and numbers the
    invoices it made afterwards.
    """
    params = {"type": invoice_type, "round": run_round}
    try:
        with conn.begin_nested():
            made = conn.execute(
                text(_INVOICE_NUMBERED),
                {
                    **params,
                    "issuers": list(last_numbers),
                    "lasts": list(last_numbers.values()),
                    "series": INVOICE_SERIES,
                },
            ).one()
        return Invoiced(invoices_created=len(made.ids), lines_invoiced=made.lines)
    except IntegrityError as error:
        # Whichever unique index of invoices refused first; the former way meets any other
        # refusal again and raises it.
        if getattr(error.orig, "sqlstate", None) != _UNIQUE_VIOLATION:
            raise
    made = conn.execute(text(_INVOICE_NEW_GROUPS), params).one()
    if made.ids:
        number_new_invoices(conn, list(made.ids), last_numbers)
    return Invoiced(invoices_created=len(made.ids), lines_invoiced=made.lines)


def number_new_invoices(conn: Connection, ids: list[UUID], last_numbers: dict[str, int]) -> None:
    """Number the new invoices gaplessly after each issuer's last number, in the order of their
    first line, and advance the sequences (locked by the caller) past them."""
    conn.execute(
        text(
            f"""
            with numbering as (
                select unnest(cast(:issuers as text[])) as issuer_id,
                       unnest(cast(:lasts as bigint[])) as last_number
            ),
            ordered as (
                select i.id, i.issuer_id, n.last_number + row_number() over (
                           partition by i.issuer_id
                           order by (select min(l.id) from billing_lines l
                                     where l.invoice_id = i.id)) as seq
                from invoices i join numbering n using (issuer_id)
                where i.id = any(cast(:ids as uuid[]))
            ),
            numbered as (
                update invoices i set number = {number_sql("o.seq")}
                from ordered o where i.id = o.id
                returning i.issuer_id
            ),
            counted as (
                select issuer_id, count(*) as n from numbered group by issuer_id
            )
            update invoice_number_sequences q set last_number = q.last_number + c.n
            from counted c
            where q.issuer_id = c.issuer_id and q.series = :series
            """
        ),
        {
            "issuers": list(last_numbers),
            "lasts": list(last_numbers.values()),
            "ids": ids,
            "series": INVOICE_SERIES,
        },
    )


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
