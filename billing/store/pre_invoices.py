"""Pre-invoice generation in set-based SQL: one page of receivers per transaction.

The rule is billing.delta_invoicing's (a property test checks this SQL against it): per
recurring subscription and month that starts on or before `as_of`, write
`should-be - what that month's lines bill`, only where it is not zero. Each line lands in a
pre-invoice of its receiver and accounting period (billing.delta_invoicing.period_for).

Never a delta twice: each line carries its sequence within its subscription's month, and
(subscription, month, sequence) is unique in the schema. Two generations that computed the
same next line cannot both insert it; the loser inserts nothing and the next generation sees
what the winner wrote. The issuer's PRE number sequence is locked first as well, which
serialises generations of one issuer and keeps pre-invoice numbers gapless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

from billing.store.run_invoicing import lock_sequences, minor_units_sql, number_sql

SERIES = "PRE"

# The issuer's legal entity whose periods pre-invoices take: its first active one.
_ENTITY_SQL = """
    select id from legal_entities where issuer_id = :issuer and active order by id limit 1
"""

# billing.delta_invoicing.period_for over a table `months(month)`: the period containing the
# month's first day, or if that is closed the first open one after it; null when none.
_PERIOD_FOR_SQL = """
    select m.month,
           case when c.id is null then null
                when not c.invoicing_closed then c.id
                else (select q.id from accounting_periods q
                      where q.legal_entity_id = c.legal_entity_id and not q.invoicing_closed
                        and q.starts_on > c.ends_on
                      order by q.starts_on limit 1)
           end as accounting_period_id
    from months m
    left join lateral (
        select p.id, p.legal_entity_id, p.invoicing_closed, p.ends_on
        from accounting_periods p
        where p.legal_entity_id = :entity and p.starts_on <= m.month and p.ends_on >= m.month
        limit 1
    ) c on true
"""


def deltas_sql(subscriptions_where: str) -> str:
    """SELECT of (subscription_id, month, amount, seq): the delta lines to write for the
    recurring subscriptions of `:issuer` matching `subscriptions_where` (over `s`), as of
    `:as_of`. The one SQL form of billing.delta_invoicing.deltas."""
    return f"""
        with subs as (
            select s.id, s.quantity, coalesce(s.unit_price, o.unit_price) as unit_price,
                   {minor_units_sql("o.currency")} as minor_units,
                   (s.starts_at at time zone 'UTC')::date as starts_on,
                   (s.expires_at at time zone 'UTC')::date as ends_on
            from subscriptions s join offers o on o.id = s.offer_id
            where s.issuer_id = :issuer and o.billing_type = 'recurring'
              and ({subscriptions_where})
        ),
        months as (
            select s.*, m.month::date as month,
                   ((m.month + interval '1 month')::date - m.month::date) as month_days
            from subs s
            cross join lateral generate_series(
                date_trunc('month', s.starts_on::timestamp),
                least(s.ends_on - 1, cast(:as_of as date))::timestamp,
                interval '1 month'
            ) as m(month)
            where s.ends_on > s.starts_on
        ),
        should as (
            select id as subscription_id, month,
                   round(cast(quantity * unit_price
                              * (least(ends_on, (month + interval '1 month')::date)
                                 - greatest(starts_on, month)) as numeric(60, 20))
                         / month_days, minor_units) as amount
            from months
        ),
        billed as (
            select l.subscription_id, l.period_start as month, sum(l.amount) as amount,
                   max(l.delta_seq) as seq
            from billing_lines l join subs s on s.id = l.subscription_id
            where l.delta_seq is not null and l.period_start <= cast(:as_of as date)
            group by l.subscription_id, l.period_start
        )
        select coalesce(sh.subscription_id, b.subscription_id) as subscription_id,
               coalesce(sh.month, b.month) as month,
               coalesce(sh.amount, 0) - coalesce(b.amount, 0) as amount,
               coalesce(b.seq, 0) + 1 as seq
        from should sh
        full join billed b on b.subscription_id = sh.subscription_id and b.month = sh.month
        where coalesce(sh.amount, 0) - coalesce(b.amount, 0) <> 0
    """


@dataclass(frozen=True)
class PageDone:
    next_cursor: str | None
    receivers: int
    pre_invoices_created: int
    lines_written: int


def receivers_total(conn: Connection, issuer_id: str) -> int:
    return int(
        conn.execute(
            text(
                "select count(distinct s.customer_id) from subscriptions s "
                "join offers o on o.id = s.offer_id "
                "where s.issuer_id = :issuer and o.billing_type = 'recurring'"
            ),
            {"issuer": issuer_id},
        ).scalar_one()
    )


def assign_missing_periods(conn: Connection, issuer_id: str) -> int:
    """Pre-invoices made while their month had no accounting period get the one that exists
    now (billing.delta_invoicing.period_for)."""
    entity = conn.execute(text(_ENTITY_SQL), {"issuer": issuer_id}).scalar()
    if entity is None:
        return 0
    return conn.execute(
        text(
            f"""
            with months as (
                select distinct service_month as month from invoices
                where issuer_id = :issuer and type = 'pre_invoice'
                  and accounting_period_id is null and service_month is not null
            ),
            assigned as ({_PERIOD_FOR_SQL})
            update invoices i set accounting_period_id = a.accounting_period_id
            from assigned a
            where i.issuer_id = :issuer and i.type = 'pre_invoice'
              and i.accounting_period_id is null and i.service_month = a.month
              and a.accounting_period_id is not null
            """
        ),
        {"issuer": issuer_id, "entity": entity},
    ).rowcount


def generate_page(
    conn: Connection,
    *,
    run_id: str,
    issuer_id: str,
    as_of: date,
    cursor: str | None,
    page_size: int,
) -> PageDone:
    """Write the delta lines and pre-invoices of the next `page_size` receivers after
    `cursor`, in this transaction."""
    last_numbers = lock_sequences(conn, [issuer_id], series=SERIES)
    receivers = list(
        conn.execute(
            text(
                "select distinct s.customer_id from subscriptions s "
                "join offers o on o.id = s.offer_id "
                "where s.issuer_id = :issuer and o.billing_type = 'recurring' "
                "and s.customer_id > :cursor order by s.customer_id limit :limit"
            ),
            {"issuer": issuer_id, "cursor": cursor or "", "limit": page_size},
        ).scalars()
    )
    if not receivers:
        return PageDone(None, 0, 0, 0)
    entity = conn.execute(text(_ENTITY_SQL), {"issuer": issuer_id}).scalar()
    params = {"issuer": issuer_id, "as_of": as_of, "receivers": receivers, "entity": entity}
    conn.execute(
        text(
            "create temp table page_deltas on commit drop as "
            + deltas_sql("s.customer_id = any(cast(:receivers as text[]))")
        ),
        params,
    )
    conn.execute(
        text(
            f"""
            create temp table page_periods on commit drop as
            with months as (select distinct month from page_deltas)
            {_PERIOD_FOR_SQL}
            """
        ),
        params,
    )
    conn.execute(
        text(
            """
            create temp table page_lines (
                id bigint, receiver_id text, currency text, period_start date,
                amount numeric, accounting_period_id text, service_month date
            ) on commit drop
            """
        )
    )
    conn.execute(
        text(
            """
            with inserted as (
                insert into billing_lines (
                    charge_key, issuer_id, receiver_id, vendor_id, offer_id, order_number,
                    item_id, subscription_id, quantity, unit_price, amount, currency,
                    invoice_frequency, invoice_group_number, bill_to_contact, payment_term,
                    period_start, period_end, delta_seq
                )
                select 'delta:' || d.subscription_id || ':' || to_char(d.month, 'YYYY-MM')
                         || ':' || d.seq,
                       s.issuer_id, s.customer_id, o.vendor_id, o.id, s.order_number,
                       s.item_id, s.id, s.quantity, coalesce(s.unit_price, o.unit_price),
                       d.amount, o.currency, 'monthly', s.invoice_group_number,
                       s.bill_to_contact, s.payment_term, d.month,
                       (d.month + interval '1 month' - interval '1 day')::date, d.seq
                from page_deltas d
                join subscriptions s on s.id = d.subscription_id
                join offers o on o.id = s.offer_id
                -- A line another generation wrote first (same subscription, month and
                -- sequence) is not written again.
                on conflict do nothing
                returning id, receiver_id, currency, period_start, amount
            )
            insert into page_lines
            select i.*, p.accounting_period_id,
                   case when p.accounting_period_id is null then i.period_start end
                     as service_month
            from inserted i join page_periods p on p.month = i.period_start
            """
        )
    )
    made = conn.execute(
        text(
            """
            with groups as (
                select receiver_id, currency, accounting_period_id, service_month,
                       sum(amount) as subtotal, min(id) as first_line
                from page_lines
                group by receiver_id, currency, accounting_period_id, service_month
            ),
            upserted as (
                insert into invoices (
                    number, type, status, issuer_id, receiver_id, currency, subtotal, total,
                    accounting_period_id, service_month, pre_invoice_run_id
                )
                select 'pending:' || gen_random_uuid(), 'pre_invoice', 'open', :issuer,
                       receiver_id, currency, subtotal, subtotal, accounting_period_id,
                       service_month, :run_id
                from groups
                order by first_line
                on conflict (pre_invoice_run_id, receiver_id, currency,
                             coalesce(accounting_period_id, ''),
                             coalesce(service_month, '0001-01-01'::date))
                    where type = 'pre_invoice'
                do update set subtotal = invoices.subtotal + excluded.subtotal,
                              total = invoices.total + excluded.total
                returning id, receiver_id, currency, accounting_period_id, service_month,
                          (xmax = 0) as created
            ),
            linked as (
                update billing_lines l set invoice_id = u.id
                from page_lines p
                join upserted u on u.receiver_id = p.receiver_id and u.currency = p.currency
                    and u.accounting_period_id is not distinct from p.accounting_period_id
                    and u.service_month is not distinct from p.service_month
                where l.id = p.id
                returning l.id
            )
            select coalesce((select array_agg(id) filter (where created) from upserted), '{}')
                     as created,
                   (select count(*) from linked) as lines
            """
        ),
        {"issuer": issuer_id, "run_id": run_id},
    ).one()
    created = list(made.created)
    if created:
        _number(conn, issuer_id, created, last_numbers[issuer_id])
    conn.execute(
        text(
            """
            update pre_invoice_runs
            set receivers_done = receivers_done + :receivers,
                pre_invoices_created = pre_invoices_created + :created,
                lines_written = lines_written + :lines
            where run_id = :run_id
            """
        ),
        {"run_id": run_id, "receivers": len(receivers), "created": len(created), "lines": made.lines},
    )
    return PageDone(
        next_cursor=receivers[-1] if len(receivers) == page_size else None,
        receivers=len(receivers),
        pre_invoices_created=len(created),
        lines_written=made.lines,
    )


def _number(conn: Connection, issuer_id: str, ids: list[object], last: int) -> None:
    """PRE-000001, ...: gapless per issuer, in the order of each pre-invoice's first line."""
    conn.execute(
        text(
            f"""
            with ordered as (
                select i.id, :last + row_number() over (
                           order by (select min(l.id) from billing_lines l
                                     where l.invoice_id = i.id)) as seq
                from invoices i where i.id = any(cast(:ids as uuid[]))
            ),
            numbered as (
                update invoices i set number = {number_sql("o.seq", SERIES)}
                from ordered o where i.id = o.id
                returning 1
            )
            update invoice_number_sequences set last_number = last_number + (
                select count(*) from numbered)
            where issuer_id = :issuer and series = :series
            """
        ),
        {"ids": ids, "last": last, "issuer": issuer_id, "series": SERIES},
    )
