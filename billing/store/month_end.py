"""The month-end run's SQL: one page of receivers (or vendors) per transaction, every
uninvoiced `monthly` line of the period grouped into invoices by the issuer's grouping key.
The rule is billing.invoice_grouping's; this is its set-based form."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from billing.consolidation import ConsolidationRules, included_kinds
from billing.periods import Period
from billing.store.billing_runs import run_round
from billing.store.run_invoicing import (
    Invoiced,
    add_progress,
    grouping_key_sql,
    invoice_renew_and_complete,
    payment_term_days_sql,
)
from billing.vocabulary import InvoiceGrouping, InvoiceType


@dataclass(frozen=True)
class PageDone:
    next_cursor: str | None
    keys: int
    invoiced: Invoiced


@dataclass(frozen=True)
class IssuerBilling:
    grouping: InvoiceGrouping
    consolidation_enabled: bool
    rules: ConsolidationRules


def issuer_billing(conn: Connection, issuer_id: str) -> IssuerBilling:
    row = conn.execute(
        text(
            "select invoice_grouping, consolidation_enabled, consolidation_include_overusage, "
            "consolidation_include_domain_ssl from partners where id = :id"
        ),
        {"id": issuer_id},
    ).one()
    return IssuerBilling(
        grouping=InvoiceGrouping(row.invoice_grouping),
        consolidation_enabled=row.consolidation_enabled,
        rules=ConsolidationRules(
            include_overusage=row.consolidation_include_overusage,
            include_domain_ssl_renewals=row.consolidation_include_domain_ssl,
        ),
    )


def count_keys(conn: Connection, issuer_id: str, grouping: InvoiceGrouping) -> int:
    """How many receivers (or vendors) have uninvoiced lines: the run's progress total."""
    column = "vendor_id" if grouping is InvoiceGrouping.vendor else "receiver_id"
    return int(
        conn.execute(
            text(
                f"select count(distinct {column}) from billing_lines "
                "where issuer_id = :issuer and invoice_id is null and invoice_frequency = 'monthly'"
            ),
            {"issuer": issuer_id},
        ).scalar_one()
    )


# The default grouping key's fields, over billing_lines `l` joined to the receiver's partner `p`.
RECEIVER_KEY = {
    "receiver_id": "l.receiver_id",
    "invoice_group_number": "l.invoice_group_number",
    "bill_to_contact": "coalesce(l.bill_to_contact, p.bill_to_contact)",
    "payment_term": "coalesce(l.payment_term, p.payment_term)",
    "currency": "l.currency",
}
VENDOR_KEY = {"vendor_id": "l.vendor_id", "currency": "l.currency"}
# billing.payment_terms.due_date of the period's last day (`:last_day`) and the line's term.
RECEIVER_DUE_DATE = (
    f"cast(:last_day as date) + {payment_term_days_sql(RECEIVER_KEY['payment_term'])}"
)


def run_key_sql(grouping: InvoiceGrouping) -> str:
    """The month-end run's stored grouping key, over `l` and `p`, for the issuer's grouping."""
    return grouping_key_sql(**(VENDOR_KEY if grouping is InvoiceGrouping.vendor else RECEIVER_KEY))


def _stage_sql(grouping: InvoiceGrouping, leave_for_consolidation: bool) -> str:
    if grouping is InvoiceGrouping.vendor:
        # AppXite: one invoice per vendor and period, its lines naming several receivers.
        fields = """null::text as receiver_id, l.vendor_id, null::text as invoice_group_number,
                    null::text as bill_to_contact, null::text as payment_term,
                    null::date as due_date"""
        page_column = "vendor_id"
    else:
        # Zuora: receiver, invoice group number, bill-to, payment term, currency; empty bill-to
        # and payment term default from the receiver's account.
        fields = f"""l.receiver_id, null::text as vendor_id, l.invoice_group_number,
                    coalesce(l.bill_to_contact, p.bill_to_contact) as bill_to_contact,
                    coalesce(l.payment_term, p.payment_term) as payment_term,
                    {RECEIVER_DUE_DATE} as due_date"""
        page_column = "receiver_id"
    grouping_key = run_key_sql(grouping)
    exclusion = ""
    if leave_for_consolidation:
        # Lines billing-day consolidation will take are not the month-end run's.
        exclusion = """and not (p.billing_day is not null
                               and l.charge_kind = any(cast(:consolidated_kinds as text[]))
                               and o.paid_at is null)"""
    # Said twice on purpose: without it the planner reads every partner into a hash for each page,
    # so a run's cost grew with customers x pages instead of with its lines.
    receivers = "and p.id = any(cast(:keys as text[]))" if page_column == "receiver_id" else ""
    return f"""
        create temp table run_lines on commit drop as
        select l.id, l.issuer_id, l.currency, l.amount, {fields},
               cast(:period as text) as period, {grouping_key} as grouping_key
        from billing_lines l
        join partners p on p.id = l.receiver_id
        left join orders o on o.order_number = l.order_number
        where l.issuer_id = :issuer and l.invoice_id is null
          and l.invoice_frequency = 'monthly' and l.created_at < :period_end
          and l.{page_column} = any(cast(:keys as text[]))
          {receivers}
          {exclusion}
        """


def _page_column(grouping: InvoiceGrouping) -> str:
    return "vendor_id" if grouping is InvoiceGrouping.vendor else "receiver_id"


def _keys_after(
    conn: Connection,
    issuer_id: str,
    column: str,
    cursor: str | None,
    *,
    last: str | None,
    limit: int,
) -> list[str]:
    """The receivers (or vendors) with uninvoiced lines after `cursor`, in order: up to and
    including `last` if given, at most `limit`."""
    return list(
        conn.execute(
            text(
                f"select distinct {column} from billing_lines "
                f"where issuer_id = :issuer and invoice_id is null and {column} > :cursor "
                f"and (cast(:last as text) is null or {column} <= :last) "
                f"order by {column} limit :limit"
            ),
            {"issuer": issuer_id, "cursor": cursor or "", "last": last, "limit": limit},
        ).scalars()
    )


def keys_after(conn: Connection, issuer_id: str, cursor: str | None, limit: int) -> list[str]:
    """The next `limit` receivers (or vendors, by the issuer's grouping) with uninvoiced lines
    after `cursor`, in order: what a round of pages side by side divides between its pages."""
    column = _page_column(issuer_billing(conn, issuer_id).grouping)
    return _keys_after(conn, issuer_id, column, cursor, last=None, limit=limit)


def invoice_page(
    conn: Connection,
    *,
    run_id: str,
    issuer_id: str,
    period: Period,
    cursor: str | None,
    page_size: int,
    last: str | None = None,
) -> PageDone:
    """Invoice the next `page_size` receivers (or vendors) after `cursor`, none after `last` if
    given, in this transaction."""
    billing = issuer_billing(conn, issuer_id)
    keys = _keys_after(
        conn, issuer_id, _page_column(billing.grouping), cursor, last=last, limit=page_size
    )
    if not keys:
        return PageDone(next_cursor=None, keys=0, invoiced=Invoiced(0, 0))
    conn.execute(
        text(_stage_sql(billing.grouping, billing.consolidation_enabled)),
        {
            "issuer": issuer_id,
            "keys": keys,
            "period": str(period),
            "period_end": period.ends_at,
            "last_day": period.last_day,
            "consolidated_kinds": sorted(included_kinds(billing.rules)),
        },
    )
    invoiced = invoice_renew_and_complete(
        conn, invoice_type=InvoiceType.periodic.value, run_round=run_round(conn, run_id)
    )
    add_progress(conn, run_id, customers=len(keys), invoiced=invoiced)
    return PageDone(
        next_cursor=keys[-1] if len(keys) == page_size else None, keys=len(keys), invoiced=invoiced
    )


def issuers_with_monthly_lines(
    conn: Connection, period: Period, *, after: str | None, limit: int
) -> list[str]:
    """Issuers the month-end schedule starts a run for, in pages."""
    return list(
        conn.execute(
            text(
                "select distinct issuer_id from billing_lines "
                "where invoice_id is null and invoice_frequency = 'monthly' "
                "and created_at < :period_end and issuer_id > :after "
                "order by issuer_id limit :limit"
            ),
            {"period_end": period.ends_at, "after": after or "", "limit": limit},
        ).scalars()
    )
