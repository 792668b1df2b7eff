"""Subscriptions made by provisioned order items, and the changes they allow."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update

from billing.contracts.common import Page
from billing.contracts.invoices import Subscription, SubscriptionChange
from billing.errors import NotFound
from billing.schema import billing_lines, offers, subscriptions
from billing.store.invoices import parse_uuid
from billing.store.pagination import keyset_page
from billing.store.visibility import seen_by
from billing.subscriptions import ensure_end_date_may_change, ensure_quantity_may_change
from billing.vocabulary import BillingType


def _view(row: Any) -> Subscription:
    fields = {name: row[name] for name in Subscription.model_fields if name != "ends_at"}
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
    row = conn.execute(
        select(subscriptions.c.perpetual, offers.c.billing_type)
        .join(offers, offers.c.id == subscriptions.c.offer_id)
        .where(subscriptions.c.id == sub_id)
        .with_for_update(of=subscriptions)
    ).first()
    if row is None:
        raise NotFound(f"No subscription with id {subscription_id!r}.")
    given = change.model_fields_set
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
    return get_subscription(conn, subscription_id)
