"""Outgoing billing lines: what an issuer will invoice or has invoiced, searchable by order."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import Connection, func, select

from billing.contracts.common import Page
from billing.contracts.invoices import BillingLine
from billing.schema import billing_lines
from billing.store.pagination import keyset_page
from billing.store.visibility import seen_by

BillingSort = Literal["order_number", "-order_number", "created_at", "-created_at"]


def list_billing_lines(
    conn: Connection,
    *,
    issuer_id: str | None = None,
    visible_to: str | None = None,
    q: str | None = None,
    sort: BillingSort = "created_at",
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[BillingLine]:
    # Lines without an order sort as the empty string so keyset comparisons never meet NULL.
    order_key = func.coalesce(billing_lines.c.order_number, "").label("order_key")
    # A partner sees the lines it bills (issuer) and the lines billed to it (receiver).
    query = seen_by(
        select(billing_lines, order_key),
        visible_to,
        billing_lines.c.issuer_id,
        billing_lines.c.receiver_id,
    )
    if issuer_id is not None:
        query = query.where(billing_lines.c.issuer_id == issuer_id)
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(billing_lines.c.order_number.ilike(f"%{escaped}%", escape="\\"))
    primary = order_key if sort.lstrip("-") == "order_number" else billing_lines.c.created_at
    rows, next_cursor = keyset_page(
        conn,
        query,
        order=[primary, billing_lines.c.id],
        descending=sort.startswith("-"),
        cursor=cursor,
        limit=limit,
    )
    return Page[BillingLine](
        items=[
            BillingLine.model_validate(
                {
                    **{name: row[name] for name in BillingLine.model_fields},
                    "subscription_id": str(row["subscription_id"])
                    if row["subscription_id"]
                    else None,
                    "invoice_id": str(row["invoice_id"]) if row["invoice_id"] else None,
                }
            )
            for row in rows
        ],
        next_cursor=next_cursor,
    )
