"""Renewal orders: N days before a subscription's end date (N = the customer's
renewal-order period) the engine makes an open renewal order with one monthly billing line for
the next term. Perpetual subscriptions never renew. One renewal per term: the subscription
holds its open renewal order until an invoice takes it (billing.store.run_invoicing renews
the subscription then), and the renewal's line has a unique charge key.

The end date is read when the renewal is made, so a changed end date moves the renewal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Connection, text

from billing.store.run_invoicing import minor_units_sql
from billing.vocabulary import ChargeKind, OfferCategory

# Renewal-order periods are at most this long (billing.contracts.reference_data), which lets
# the index on end dates narrow the search before the per-customer N is applied.
MAX_RENEWAL_ORDER_DAYS = 366


def renewal_charge_kind_sql(category: str) -> str:
    """billing.consolidation.charge_kind of a generated renewal order (never resold, never an
    end-date alignment), from the offer's category."""
    special = ", ".join(f"'{c.value}'" for c in (OfferCategory.domain, OfferCategory.ssl))
    return (
        f"(case when {category} in ({special}) then '{ChargeKind.domain_ssl_renewal.value}' "
        f"else '{ChargeKind.renewal.value}' end)"
    )


@dataclass(frozen=True)
class RenewalsDone:
    next_cursor: str | None
    created: int


def generate_renewal_orders(
    conn: Connection, *, as_of: date, cursor: str | None, page_size: int
) -> RenewalsDone:
    end_of_day = datetime.combine(as_of + timedelta(days=1), time(), tzinfo=UTC)
    conn.execute(
        text(
            """
            create temp table due_renewals on commit drop as
            select s.id, s.issuer_id, s.customer_id, s.offer_id, s.item_id, s.quantity,
                   s.expires_at, s.invoice_group_number, s.bill_to_contact, s.payment_term,
                   o.vendor_id, o.unit_price, o.currency, o.category,
                   'R-' || s.order_number || '-' || s.item_id || '-'
                     || to_char(s.expires_at at time zone 'UTC', 'YYYYMMDD') as order_number,
                   'renewal:' || s.id || ':'
                     || to_char(s.expires_at at time zone 'UTC', 'YYYYMMDD') as charge_key
            from subscriptions s
            join offers o on o.id = s.offer_id
            join partners c on c.id = s.customer_id
            where not s.perpetual and o.billing_type <> 'usage'
              and s.cancelled_at is null
              -- pre-invoice generation bills these per month instead (delta invoicing)
              and not s.billed_by_delta
              and s.renewal_order_number is null
              and s.expires_at < :horizon
              and s.expires_at - make_interval(days => c.renewal_order_days) < :end_of_day
              and s.id > cast(:cursor as uuid)
            order by s.id
            limit :limit
            for update of s
            """
        ),
        {
            "end_of_day": end_of_day,
            "horizon": end_of_day + timedelta(days=MAX_RENEWAL_ORDER_DAYS),
            "cursor": cursor or "00000000-0000-0000-0000-000000000000",
            "limit": page_size,
        },
    )
    created = conn.execute(
        text(
            f"""
            with new_orders as (
                insert into orders (order_number, issuer_id, customer_id, status,
                                    request_digest, type)
                select order_number, issuer_id, customer_id, 'open', 'generated:renewal',
                       'renewal'
                from due_renewals
                on conflict (order_number) do nothing
                returning order_number
            ),
            new_items as (
                insert into order_items (order_number, item_id, position, offer_id, quantity,
                                         provisioning, provisioned_at, reported_at,
                                         invoice_frequency, invoice_group_number,
                                         bill_to_contact, payment_term)
                select d.order_number, d.item_id, 0, d.offer_id, d.quantity, 'succeeded',
                       d.expires_at, now(), 'monthly', d.invoice_group_number,
                       d.bill_to_contact, d.payment_term
                from due_renewals d join new_orders using (order_number)
                returning order_number
            ),
            new_lines as (
                insert into billing_lines (charge_key, issuer_id, receiver_id, vendor_id,
                                           offer_id, order_number, item_id, subscription_id,
                                           quantity, unit_price, amount, currency,
                                           invoice_frequency, invoice_group_number,
                                           bill_to_contact, payment_term, charge_kind)
                select d.charge_key, d.issuer_id, d.customer_id, d.vendor_id, d.offer_id,
                       d.order_number, d.item_id, d.id, d.quantity, d.unit_price,
                       round(d.quantity * d.unit_price, {minor_units_sql("d.currency")}),
                       d.currency, 'monthly', d.invoice_group_number, d.bill_to_contact,
                       d.payment_term,
                       {renewal_charge_kind_sql("d.category")}
                from due_renewals d join new_items using (order_number)
                on conflict (charge_key) do nothing
                returning subscription_id, order_number
            ),
            marked as (
                update subscriptions s set renewal_order_number = d.order_number
                from due_renewals d where s.id = d.id
                returning 1
            )
            select (select count(*) from new_lines) as created, (select count(*) from marked)
            """
        )
    ).one()
    last = conn.execute(text("select max(id::text) from due_renewals")).scalar_one()
    rows = conn.execute(text("select count(*) from due_renewals")).scalar_one()
    return RenewalsDone(next_cursor=last if rows == page_size else None, created=created.created)
