"""Subscriptions made by provisioned order items, and the changes they allow."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update

from billing.contracts.common import Page
from billing.contracts.invoices import Subscription, SubscriptionChange
from billing.errors import NotFound
from billing.schema import offers, subscriptions
from billing.store.invoices import parse_uuid
from billing.store.pagination import keyset_page
from billing.subscriptions import ensure_quantity_may_change
from billing.vocabulary import BillingType


def _view(row: Any) -> Subscription:
    return Subscription.model_validate(
        {**{name: row[name] for name in Subscription.model_fields}, "id": str(row["id"])}
    )


def list_subscriptions(
    conn: Connection,
    *,
    customer_id: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Subscription]:
    query = select(subscriptions)
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


def get_subscription(conn: Connection, subscription_id: str) -> Subscription:
    row = (
        conn.execute(
            select(subscriptions).where(
                subscriptions.c.id == parse_uuid(subscription_id, "subscription")
            )
        )
        .mappings()
        .first()
    )
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
    ensure_quantity_may_change(perpetual=row.perpetual, billing_type=BillingType(row.billing_type))
    conn.execute(
        update(subscriptions).where(subscriptions.c.id == sub_id).values(quantity=change.quantity)
    )
    return get_subscription(conn, subscription_id)
