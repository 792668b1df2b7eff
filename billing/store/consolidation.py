"""Billing-day consolidation's SQL: one page of due customers per transaction, each getting one
consolidated invoice (per currency) of the lines billing.consolidation includes, due on the
billing day. The rules are billing.consolidation's and billing.billing_days'; this is their
set-based form."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, text

from billing.billing_days import due_days
from billing.consolidation import RENEWAL_KINDS, ConsolidationRules, included_kinds
from billing.store.billing_runs import run_round
from billing.store.run_invoicing import (
    Invoiced,
    add_progress,
    grouping_key_sql,
    invoice_renew_and_complete,
)
from billing.vocabulary import InvoiceType


def _due_params(as_of: date) -> dict[str, list[int] | list[date]]:
    days = due_days(as_of)
    return {
        "ms": [d.days_before for d in days],
        "days": [d.billing_day for d in days],
        "dates": [d.billing_date for d in days],
        "nexts": [d.next_billing_date for d in days],
    }


_DUE_CUSTOMERS = """
    select c.id as customer_id, c.parent_id as issuer_id, c.bill_to_contact,
           due.billing_date, due.next_date, i.consolidation_include_overusage as overusage,
           i.consolidation_include_domain_ssl as domain_ssl
    from partners c
    join partners i on i.id = c.parent_id and i.consolidation_enabled
    join unnest(cast(:ms as int[]), cast(:days as int[]), cast(:dates as date[]),
                cast(:nexts as date[])) as due(m, day, billing_date, next_date)
      on due.m = i.consolidation_days_before and due.day = c.billing_day
"""


def count_due_customers(conn: Connection, as_of: date) -> int:
    return int(
        conn.execute(
            text(f"select count(*) from ({_DUE_CUSTOMERS}) d"), _due_params(as_of)
        ).scalar_one()
    )


def _kinds(**rules: bool) -> list[str]:
    return sorted(included_kinds(ConsolidationRules(**rules)))


# billing.consolidation.consolidates_now over a billing line `l`, its order `o` and
# subscription `s` (left joined: their columns may be null) and the due customer `d` (with the
# issuer's settings `overusage`, `domain_ssl` and the `billing_date` and `next_date`).
CONSOLIDATES_NOW_SQL = """(
    -- what the line charges for, against the issuer's settings
    l.charge_kind = any(case
          when d.overusage and d.domain_ssl then cast(:all_on as text[])
          when d.overusage then cast(:overusage_on as text[])
          when d.domain_ssl then cast(:domain_ssl_on as text[])
          else cast(:none_on as text[]) end)
    -- orders paid by hand before the billing day need no invoice
    and (o.paid_at is null or o.paid_at >= d.billing_date)
    -- a renewal order waiting for its subscription waits while the subscription
    -- (its end date as it is now) outlives the next billing day
    and (l.charge_kind <> all(cast(:renewal_kinds as text[]))
         or s.renewal_order_number is distinct from l.order_number
         or s.expires_at < d.next_date)
)"""


def consolidates_now_params() -> dict[str, list[str]]:
    """The bind parameters CONSOLIDATES_NOW_SQL reads."""
    return {
        "all_on": _kinds(include_overusage=True, include_domain_ssl_renewals=True),
        "overusage_on": _kinds(include_overusage=True),
        "domain_ssl_on": _kinds(include_domain_ssl_renewals=True),
        "none_on": _kinds(),
        "renewal_kinds": sorted(kind.value for kind in RENEWAL_KINDS),
    }


def consolidate_page(
    conn: Connection, *, run_id: str, as_of: date, cursor: str | None, page_size: int
) -> tuple[str | None, int, Invoiced]:
    """Consolidate the next `page_size` due customers after `cursor`; returns the next cursor
    (None when done), the customers done and what was invoiced."""
    conn.execute(
        text(
            f"""
            create temp table due_customers on commit drop as
            {_DUE_CUSTOMERS}
            where c.id > :cursor
            order by c.id limit :limit
            """
        ),
        {**_due_params(as_of), "cursor": cursor or "", "limit": page_size},
    )
    customers = conn.execute(
        text("select customer_id, issuer_id from due_customers order by customer_id")
    ).all()
    if not customers:
        return None, 0, Invoiced(0, 0)
    key = grouping_key_sql(receiver_id="d.customer_id", currency="l.currency")
    conn.execute(
        text(
            f"""
            create temp table run_lines on commit drop as
            select l.id, l.issuer_id, d.customer_id as receiver_id, null::text as vendor_id,
                   l.currency, l.amount, null::text as invoice_group_number,
                   d.bill_to_contact, null::text as payment_term,
                   d.billing_date as due_date, d.billing_date::text as period,
                   {key} as grouping_key
            from due_customers d
            join billing_lines l on l.issuer_id = d.issuer_id and l.receiver_id = d.customer_id
            left join orders o on o.order_number = l.order_number
            left join subscriptions s on s.id = l.subscription_id
            where l.invoice_id is null and l.invoice_frequency = 'monthly'
              and {CONSOLIDATES_NOW_SQL}
            """
        ),
        consolidates_now_params(),
    )
    invoiced = invoice_renew_and_complete(
        conn, invoice_type=InvoiceType.consolidated.value, run_round=run_round(conn, run_id)
    )
    add_progress(conn, run_id, customers=len(customers), invoiced=invoiced)
    next_cursor = customers[-1].customer_id if len(customers) == page_size else None
    return next_cursor, len(customers), invoiced
