"""Pre-invoice generation in set-based SQL: one page of receivers per transaction.

The rule is billing.delta_invoicing's (a property test checks this SQL against it): per
recurring subscription and month that starts on or before `as_of`, write
`should-be - what that month's lines bill`, only where it is not zero. Each line lands in a
pre-invoice of its receiver and accounting period (billing.delta_invoicing.period_for).

Never a delta twice: each line carries its sequence within its subscription's month, and
(subscription, month, sequence) is the primary key. Two writers that computed the same next
line cannot both insert it; a page that finds one of its lines taken rolls back whole and its
activity's retry recomputes it from what is billed then. The issuer's PRE number sequence is
locked last, only to number the page's new pre-invoices, which keeps their numbers gapless while
pages of disjoint receivers compute and write their lines side by side.

Lines go into open pre-invoices only, never into one finalized meanwhile (see generate_page);
triggers of the schema refuse anything else.

Only subscriptions that can have a delta are read: changed since they were last billed
(`financial_version`, counted by a trigger), or with a month due that their last generation
did not see. For the others the rule writes nothing, so a generation after few changes reads
few subscriptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from psycopg.errors import UniqueViolation
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from billing.invoice_numbers import PRE_INVOICE_SERIES as SERIES
from billing.store.ascending_ids import ascending_uuid_sql
from billing.store.run_invoicing import lock_sequences, minor_units_sql, number_sql

# The issuer's legal entity whose periods pre-invoices take: its first active one.
_ENTITY_SQL = """
    select id from legal_entities where issuer_id = :issuer and active order by id limit 1
"""

# billing.delta_invoicing.period_for over a table `months(month)` and the legal entity
# `:entity`: the period containing the month's first day, or if that is closed the first open
# one after it; null when none.
PERIOD_FOR_SQL = """
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


def subscription_terms_sql(subscriptions_where: str) -> str:
    """SELECT of what the delta rule reads of each subscription of `:issuer` billed by delta
    invoicing that matches `subscriptions_where` (over `s`): its runtime in UTC days, quantity,
    unit price and the currency's minor units, with the receiver and the financial version."""
    return f"""
        select s.id, s.financial_version, s.customer_id as receiver_id, s.quantity,
               coalesce(s.unit_price, o.unit_price) as unit_price, o.currency,
               {minor_units_sql("o.currency")} as minor_units,
               (s.starts_at at time zone 'UTC')::date as starts_on,
               (s.expires_at at time zone 'UTC')::date as ends_on
        from subscriptions s join offers o on o.id = s.offer_id
        where s.issuer_id = :issuer and s.billed_by_delta and ({subscriptions_where})
    """


def deltas_sql(terms: str) -> str:
    """SELECT of (subscription_id, month, amount, seq): the delta lines to write, as of
    `:as_of`, for the subscriptions in `terms`, a relation with the columns of
    subscription_terms_sql. The one SQL form of billing.delta_invoicing.deltas."""
    return f"""
        with subs as (
            select id, quantity, unit_price, minor_units, starts_on, ends_on from {terms}
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
            -- Per subscription through its primary key: the lines of the subscriptions at hand,
            -- never a scan of every line ever written.
            select s.id as subscription_id, b.month, b.amount, b.seq
            from subs s
            cross join lateral (
                select l.period_start as month, sum(l.amount) as amount,
                       max(l.sequence) as seq
                from pre_invoice_lines l
                where l.subscription_id = s.id and l.period_start <= cast(:as_of as date)
                group by l.period_start
            ) b
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
                "select count(distinct customer_id) from subscriptions "
                "where issuer_id = :issuer and billed_by_delta"
            ),
            {"issuer": issuer_id},
        ).scalar_one()
    )


def receivers_after(conn: Connection, issuer_id: str, cursor: str | None, limit: int) -> list[str]:
    """The next `limit` receivers billed by delta invoicing after `cursor`, in order: what a
    round of pages side by side divides between its pages."""
    return _receivers_after(conn, issuer_id, cursor, last=None, limit=limit)


def _receivers_after(
    conn: Connection, issuer_id: str, cursor: str | None, *, last: str | None, limit: int | None
) -> list[str]:
    """The issuer's receivers billed by delta invoicing after `cursor`, in order: up to and
    including `last` if given, at most `limit` if given."""
    return list(
        conn.execute(
            text(
                "select distinct customer_id from subscriptions "
                "where issuer_id = :issuer and billed_by_delta and customer_id > :cursor "
                "and (cast(:last as text) is null or customer_id <= :last) "
                "order by customer_id limit :limit"
            ),
            {"issuer": issuer_id, "cursor": cursor or "", "last": last, "limit": limit},
        ).scalars()
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
            assigned as ({PERIOD_FOR_SQL})
            update invoices i set accounting_period_id = a.accounting_period_id
            from assigned a
            where i.issuer_id = :issuer and i.type = 'pre_invoice'
              and i.accounting_period_id is null and i.service_month = a.month
              and a.accounting_period_id is not null
            """
        ),
        {"issuer": issuer_id, "entity": entity},
    ).rowcount


def _same_pre_invoice(a: str, b: str) -> str:
    """A pre-invoice is one per generation, receiver, currency and accounting period (or, while
    the period does not exist yet, service month): rows `a` and `b` name the same one. Plain
    equalities, so the planner can hash on them."""
    return (
        f"{a}.receiver_id = {b}.receiver_id and {a}.currency = {b}.currency"
        f" and coalesce({a}.accounting_period_id, '') = coalesce({b}.accounting_period_id, '')"
        f" and coalesce({a}.service_month, '0001-01-01'::date)"
        f" = coalesce({b}.service_month, '0001-01-01'::date)"
    )


class DeltaWrittenMeanwhile(Exception):
    """Another writer inserted one of this page's delta lines first. The page's transaction is
    rolled back and the activity's retry recomputes the page from what is billed now."""


def generate_page(
    conn: Connection,
    *,
    run_id: str,
    issuer_id: str,
    as_of: date,
    cursor: str | None,
    page_size: int,
    last: str | None = None,
) -> PageDone:
    """Write the delta lines and pre-invoices of the next `page_size` receivers after
    `cursor` (or, given `last`, of every receiver after `cursor` up to and including `last`),
    in this transaction."""
    # The planner takes each subscription's months for a thousand rows and would JIT-compile
    # every statement of the page, which costs more than the statement; the page's sorts fit in
    # memory when given some.
    conn.execute(text("set local jit = off"))
    conn.execute(text("set local work_mem = '64MB'"))
    receivers = _receivers_after(
        conn, issuer_id, cursor, last=last, limit=None if last is not None else page_size
    )
    if not receivers:
        return PageDone(None, 0, 0, 0)
    entity = conn.execute(text(_ENTITY_SQL), {"issuer": issuer_id}).scalar()
    # The page is a range of receivers: every statement reaches its subscriptions and
    # pre-invoices through an index on (issuer, receiver), never by scanning the issuer's.
    params = {
        "issuer": issuer_id,
        "as_of": as_of,
        "first": cursor or "",
        "last": last if last is not None else receivers[-1],
        "entity": entity,
        "run_id": run_id,
    }
    in_page = "s.customer_id > :first and s.customer_id <= :last"
    # Only subscriptions that can have a delta: changed since they were last billed, or with
    # a month due that no generation has seen. For the rest the rule writes nothing. All the
    # page reads of a subscription is read here once, on one snapshot: what its deltas are
    # computed from, the quantity and price its lines show, the version recorded as billed.
    conn.execute(
        text(
            f"""
            create temp table page_subscriptions on commit drop as
            select t.*
            from ({subscription_terms_sql(in_page)}) t
            left join subscription_billed b on b.subscription_id = t.id
            where b.billed_as_of is null
               or b.billed_version <> t.financial_version
               or date_trunc('month', cast(:as_of as date)) > b.billed_as_of
            """
        ),
        params,
    )
    conn.execute(text("analyze page_subscriptions"))
    # The page's lines, each with the accounting period it lands in.
    planned = conn.execute(
        text(
            f"""
            create temp table page_lines on commit drop as
            with deltas as (
                {deltas_sql("page_subscriptions")}
            ),
            months as (select distinct month from deltas),
            periods as ({PERIOD_FOR_SQL})
            select d.subscription_id, d.month, d.amount, d.seq, p.receiver_id, p.quantity,
                   p.unit_price, p.currency, pr.accounting_period_id,
                   case when pr.accounting_period_id is null then d.month end as service_month
            from deltas d
            join page_subscriptions p on p.id = d.subscription_id
            join periods pr on pr.month = d.month
            """
        ),
        params,
    ).rowcount
    _mark_billed(conn, as_of)
    if not planned:
        _count(conn, run_id, len(receivers), 0, 0)
        return PageDone(_after(receivers, page_size, last), len(receivers), 0, 0)
    # Lines go into open pre-invoices only. The open ones a retried page of this generation
    # made already are locked first: a finalize of one waits for this page's commit, and one
    # being finalized meanwhile is seen final once that commits and gets a new open one
    # beside it. (The lines' trigger checks the same in the database.)
    conn.execute(
        text(
            """
            select id from invoices i
            where i.type = 'pre_invoice' and i.status = 'open' and i.pre_invoice_run_id = :run_id
              and i.receiver_id > :first and i.receiver_id <= :last
            for no key update
            """
        ),
        params,
    )
    # The page's pre-invoices, by receiver and period: the open ones a retried page of this
    # generation made already, and new ones, whose ids are chosen here and which are inserted
    # once their lines are in. New ids ascend, so the indexes on invoice ids (the
    # pre-invoice's own, its lines') grow at their right edge instead of at a random leaf.
    conn.execute(
        text(
            f"""
            create temp table page_invoices on commit drop as
            with groups as (
                select receiver_id, currency, accounting_period_id, service_month,
                       sum(amount) as subtotal
                from page_lines
                group by receiver_id, currency, accounting_period_id, service_month
            ),
            existing as (
                select i.id, g.*
                from groups g
                join invoices i
                  on i.type = 'pre_invoice' and i.status = 'open' and i.pre_invoice_run_id = :run_id
                 and i.receiver_id > :first and i.receiver_id <= :last
                 and {_same_pre_invoice("i", "g")}
            ),
            fresh as (
                select g.*, {ascending_uuid_sql("n")} as id
                from (
                    select g.*, row_number() over (
                               order by g.receiver_id, g.accounting_period_id, g.service_month,
                                        g.currency) as n
                    from groups g
                    where not exists (
                        select 1 from existing e where {_same_pre_invoice("e", "g")}
                    )
                ) g
            )
            select receiver_id, currency, accounting_period_id, service_month, subtotal, id, n
            from fresh
            union all
            select receiver_id, currency, accounting_period_id, service_month, subtotal, id,
                   null
            from existing
            """
        ),
        params,
    )
    # Each line finds its pre-invoice in a hash of the page's few thousand: the planner,
    # blind to how few lines share a key, would sort all of them on it to merge instead.
    conn.execute(text("set local enable_mergejoin = off"))
    try:
        # The primary key (subscription, month, sequence) refuses a line another generation
        # wrote first; the page then rolls back whole.
        written = conn.execute(
            text(
                f"""
                insert into pre_invoice_lines (
                    subscription_id, period_start, period_end, sequence, invoice_id, quantity,
                    unit_price, amount
                )
                select l.subscription_id, l.month,
                       (l.month + interval '1 month' - interval '1 day')::date, l.seq, i.id,
                       l.quantity, l.unit_price, l.amount
                from page_lines l join page_invoices i on {_same_pre_invoice("i", "l")}
                -- In key order: the primary key's index is filled leaf by leaf, not at random.
                order by l.subscription_id, l.month
                """
            )
        ).rowcount
    except IntegrityError as error:
        if not isinstance(error.orig, UniqueViolation):
            raise
        raise DeltaWrittenMeanwhile(
            f"A delta line of {issuer_id!r} was written by another generation meanwhile "
            f"({error.orig}); the page is recomputed."
        ) from error
    # Only now the issuer's number sequence: pages of other receivers wait for it just while
    # this one numbers and inserts its new pre-invoices, not while it computes its lines.
    last_number = lock_sequences(conn, [issuer_id], series=SERIES)[issuer_id]
    new_invoices = conn.execute(
        text(
            f"""
            with inserted as (
                insert into invoices (
                    id, number, type, status, issuer_id, receiver_id, currency, subtotal, total,
                    accounting_period_id, service_month, pre_invoice_run_id
                )
                select id, {number_sql(":last_number + n", SERIES)}, 'pre_invoice', 'open',
                       :issuer, receiver_id, currency, subtotal, subtotal, accounting_period_id,
                       service_month, :run_id
                from page_invoices where n is not null
                order by n
                returning 1
            ),
            updated as (
                update invoices i set subtotal = i.subtotal + e.subtotal,
                                      total = i.total + e.subtotal
                from page_invoices e where i.id = e.id and e.n is null
            ),
            numbered as (
                update invoice_number_sequences
                set last_number = last_number + (select count(*) from inserted)
                where issuer_id = :issuer and series = :series
            )
            select count(*) from inserted
            """
        ),
        {**params, "last_number": last_number, "series": SERIES},
    ).scalar_one()
    _count(conn, run_id, len(receivers), new_invoices, written)
    return PageDone(_after(receivers, page_size, last), len(receivers), new_invoices, written)


def _mark_billed(conn: Connection, as_of: date) -> None:
    """Record the version each page subscription was billed at. The version read before the
    deltas: a change committed meanwhile leaves the subscription due for the next generation.
    A generation as of an earlier day bills fewer months and records nothing."""
    conn.execute(
        text(
            """
            insert into subscription_billed as b (subscription_id, billed_version, billed_as_of)
            select p.id, p.financial_version, cast(:as_of as date)
            from page_subscriptions p
            order by p.id
            on conflict (subscription_id) do update
            set billed_version = excluded.billed_version, billed_as_of = excluded.billed_as_of
            where b.billed_as_of <= excluded.billed_as_of
            """
        ),
        {"as_of": as_of},
    )


def _after(receivers: list[str], page_size: int, last: str | None) -> str | None:
    if last is not None:
        return last
    return receivers[-1] if len(receivers) == page_size else None


def _count(conn: Connection, run_id: str, receivers: int, created: int, lines: int) -> None:
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
        {"run_id": run_id, "receivers": receivers, "created": created, "lines": lines},
    )
