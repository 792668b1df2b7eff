"""Subscriptions made by provisioned order items, and the changes they allow."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select, update

from billing.contracts.common import Page
from billing.contracts.invoices import Subscription, SubscriptionCancel, SubscriptionChange
from billing.errors import Conflict, NotFound
from billing.schema import billing_lines, offers, partners, subscriptions
from billing.store.invoices import parse_uuid
from billing.store.pagination import keyset_page
from billing.store.visibility import seen_by
from billing.subscription_changes import (
    cancellation_effect,
    change_effect,
    ensure_change_reaches_a_bill,
    ensure_ends_after_start,
)
from billing.subscriptions import ensure_end_date_may_change, ensure_quantity_may_change
from billing.vocabulary import BillingType

customers = partners.alias("customers")


def _view(row: Any) -> Subscription:
    fields = {
        name: row[name]
        for name in Subscription.model_fields
        if name not in ("ends_at", "billing_effect")
    }
    return Subscription.model_validate(
        {**fields, "id": str(row["id"]), "ends_at": row["expires_at"]}
    )


def list_subscriptions(
    conn: Connection,
    *,
    customer_id: str | None = None,
    visible_to: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Subscription]:
    query = _visible(select(subscriptions), visible_to)
    if customer_id is not None:
        query = query.where(subscriptions.c.customer_id == customer_id)
    rows, next_cursor = keyset_page(
        conn,
        query,
        order=[subscriptions.c.starts_at, subscriptions.c.id],
        cursor=cursor,
        limit=limit,
    )
    return Page[Subscription](items=[_view(row) for row in rows], next_cursor=next_cursor)


def _visible(query: Any, visible_to: str | None) -> Any:
    """A partner sees the subscriptions it sold (issuer) or holds (customer)."""
    return seen_by(query, visible_to, subscriptions.c.issuer_id, subscriptions.c.customer_id)


def get_subscription(
    conn: Connection, subscription_id: str, *, visible_to: str | None = None
) -> Subscription:
    query = select(subscriptions).where(
        subscriptions.c.id == parse_uuid(subscription_id, "subscription")
    )
    row = conn.execute(_visible(query, visible_to)).mappings().first()
    if row is None:
        raise NotFound(f"No subscription with id {subscription_id!r}.")
    return _view(row)


def change_subscription(
    conn: Connection, subscription_id: str, change: SubscriptionChange
) -> Subscription:
    sub_id = parse_uuid(subscription_id, "subscription")
    row = _locked(conn, sub_id, subscription_id)
    given = change.model_fields_set
    delta = _billed_by_delta(row)
    # A field that is sent is never null (SubscriptionChange says so).
    ensure_ends_after_start(change.starts_at or row.starts_at, change.ends_at or row.expires_at)
    # Setting a field to the value it had changes nothing, on any bill.
    current = {
        "quantity": row.quantity,
        "ends_at": row.expires_at,
        "starts_at": row.starts_at,
        "unit_price": row.unit_price if row.unit_price is not None else row.offer_price,
    }
    changed = {
        name for name in given if name not in current or getattr(change, name) != current[name]
    }
    ensure_change_reaches_a_bill(changed, delta=delta, issuer_id=row.issuer_id)
    billing_type = BillingType(row.billing_type)
    if "quantity" in given:
        ensure_quantity_may_change(perpetual=row.perpetual, billing_type=billing_type)
    if "ends_at" in given:
        ensure_end_date_may_change(perpetual=row.perpetual, billing_type=billing_type)
    values: dict[str, Any] = {}
    if "quantity" in given:
        values["quantity"] = change.quantity
    if "ends_at" in given:
        values["expires_at"] = change.ends_at
    if "starts_at" in given:
        values["starts_at"] = change.starts_at
    if "unit_price" in given:
        values["unit_price"] = change.unit_price
    grouping = {
        name: getattr(change, name).value
        if name == "payment_term" and getattr(change, name)
        else getattr(change, name)
        for name in ("invoice_group_number", "bill_to_contact", "payment_term")
        if name in given
    }
    conn.execute(
        update(subscriptions).where(subscriptions.c.id == sub_id).values(**values, **grouping)
    )
    if grouping:
        # Lines not invoiced yet follow their subscription's new grouping fields.
        conn.execute(
            update(billing_lines)
            .where(billing_lines.c.subscription_id == sub_id, billing_lines.c.invoice_id.is_(None))
            .values(**grouping)
        )
    shown = get_subscription(conn, subscription_id)
    return shown.model_copy(
        update={
            "billing_effect": change_effect(
                changed,
                delta=delta,
                ends_at=shown.expires_at,
                renewal_order_days=row.renewal_order_days,
            )
        }
    )


def cancel_subscription(
    conn: Connection, subscription_id: str, cancel: SubscriptionCancel
) -> Subscription:
    """End the subscription at `effective_at` (never before it started, never after it would
    have ended anyway). With delta invoicing the next generation credits the months after it."""
    sub_id = parse_uuid(subscription_id, "subscription")
    row = _locked(conn, sub_id, subscription_id)
    if row.perpetual and BillingType(row.billing_type) is BillingType.one_time:
        raise Conflict(
            "A perpetual one-time subscription has no cancellation; it never renews anyway."
        )
    if row.cancelled_at is not None:
        raise Conflict(
            f"The subscription was cancelled on {row.cancelled_at.isoformat()}; it ends "
            f"{row.expires_at.isoformat()}."
        )
    ends = min(max(cancel.effective_at, row.starts_at), row.expires_at)
    conn.execute(
        update(subscriptions)
        .where(subscriptions.c.id == sub_id)
        .values(expires_at=ends, cancelled_at=func.now())
    )
    shown = get_subscription(conn, subscription_id)
    return shown.model_copy(
        update={
            "billing_effect": cancellation_effect(delta=_billed_by_delta(row), effective_at=ends)
        }
    )


def _locked(conn: Connection, sub_id: Any, subscription_id: str) -> Any:
    row = conn.execute(
        select(
            subscriptions.c.perpetual,
            subscriptions.c.issuer_id,
            subscriptions.c.quantity,
            subscriptions.c.starts_at,
            subscriptions.c.expires_at,
            subscriptions.c.unit_price,
            subscriptions.c.cancelled_at,
            offers.c.billing_type,
            offers.c.unit_price.label("offer_price"),
            subscriptions.c.billed_by_delta,
            customers.c.renewal_order_days,
        )
        .join(offers, offers.c.id == subscriptions.c.offer_id)
        .join(customers, customers.c.id == subscriptions.c.customer_id)
        .where(subscriptions.c.id == sub_id)
        .with_for_update(of=subscriptions)
    ).first()
    if row is None:
        raise NotFound(f"No subscription with id {subscription_id!r}.")
    return row


def _billed_by_delta(row: Any) -> bool:
    """Pre-invoice generation bills the recurring subscriptions sold with delta invoicing on."""
    return bool(row.billed_by_delta)
