"""Orders and their items' provisioning outcomes: the record the order workflow acts on."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Connection,
    bindparam,
    exists,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert

from billing.contracts.common import Page
from billing.contracts.orders import ManualOutcomeIn, Order, OrderIn, OrderItem, ProvisioningIn
from billing.errors import BillingError, Conflict, NotFound
from billing.order_validation import Party, check_offers, check_parties
from billing.schema import audit_log, invoices, order_items, orders
from billing.store.pagination import keyset_page
from billing.store.visibility import seen_by
from billing.store.webhooks import record_event
from billing.vocabulary import InvoiceType, OrderStatus, Outcome, PartnerLevel, ProvisioningState
from billing.webhook_events import WebhookEventType


def request_digest(body: OrderIn) -> str:
    # Defaults left out: a body without the recurring-billing fields digests as it did before
    # they existed, so resubmissions of older orders stay idempotent.
    return hashlib.sha256(body.model_dump_json(exclude_defaults=True).encode()).hexdigest()


def create_order(conn: Connection, body: OrderIn) -> tuple[Order, bool]:
    """Record a new order, or return the one already recorded under this number when the body is
    the same (a retried submission). Returns the order and whether it was created now."""
    return create_orders(conn, [body])[0]


def create_orders(conn: Connection, bodies: Sequence[OrderIn]) -> list[tuple[Order, bool]]:
    """`create_order` for several orders at once, all or none: one refused order refuses them
    all (its error names it, and the caller's transaction records nothing). Returns each order,
    in the order given, and whether it was created now.

    Two statements for new orders however many there are: one read of what the checks need
    (orders recorded under the numbers, the parties, the offers) and one insert of the orders
    with their items."""
    digests = {body.order_number: request_digest(body) for body in bodies}
    known = _known_facts(conn, bodies)
    new: list[OrderIn] = []
    replayed: list[str] = []
    for body in bodies:
        stored = known.digests.get(body.order_number)
        if stored is not None:
            _check_resubmitted(body.order_number, stored, digests[body.order_number])
            replayed.append(body.order_number)
            continue
        with _naming(body.order_number, batch=len(bodies) > 1):
            check_parties(
                body.issuer_id,
                body.customer_id,
                known.parties.get(body.issuer_id),
                known.parties.get(body.customer_id),
            )
            offer_ids = {item.offer_id for item in body.items}
            check_offers(
                offer_ids, {o: known.currencies[o] for o in offer_ids & known.currencies.keys()}
            )
            new.append(body)
    created = _insert(conn, new, digests) if new else {}
    if raced := [body.order_number for body in new if body.order_number not in created]:
        # A concurrent submission of the same numbers won the race.
        for number, stored in conn.execute(
            select(orders.c.order_number, orders.c.request_digest).where(
                orders.c.order_number.in_(raced)
            )
        ).all():
            _check_resubmitted(number, stored, digests[number])
        replayed += raced
    recorded = _read_orders(conn, replayed) if replayed else {}
    return [
        (created[body.order_number], True)
        if body.order_number in created
        else (recorded[body.order_number], False)
        for body in bodies
    ]


@contextmanager
def _naming(order_number: str, *, batch: bool) -> Iterator[None]:
    """In a batch, a refusal says which of its orders was refused."""
    try:
        yield
    except BillingError as refused:
        if not batch:
            raise
        raise type(refused)(f"Order {order_number!r}: {refused.detail}") from refused


@dataclass(frozen=True)
class _KnownFacts:
    digests: dict[str, str]
    parties: dict[str, Party]
    currencies: dict[str, str]


# One statement, built once: a statement assembled with SQLAlchemy's builders on every
# submission (IN lists expanded per call) cost more CPU than the rest of the transaction.
_KNOWN_FACTS = text(
    """
    select 'order' as kind, order_number as id, request_digest as a, null as b
    from orders where order_number = any(cast(:order_numbers as text[]))
    union all
    select 'party', id, level, parent_id
    from partners where id = any(cast(:party_ids as text[]))
    union all
    select 'offer', id, currency, null
    from offers where id = any(cast(:offer_ids as text[]))
    """
)


def _known_facts(conn: Connection, bodies: Sequence[OrderIn]) -> _KnownFacts:
    """What the submissions' checks need, in one round trip: the digests of orders already
    recorded under the numbers, the orders' parties and their offers' currencies."""
    rows = conn.execute(
        _KNOWN_FACTS,
        {
            "order_numbers": [body.order_number for body in bodies],
            "party_ids": sorted({p for body in bodies for p in (body.issuer_id, body.customer_id)}),
            "offer_ids": sorted({item.offer_id for body in bodies for item in body.items}),
        },
    ).mappings()
    digests: dict[str, str] = {}
    found: dict[str, Party] = {}
    currencies: dict[str, str] = {}
    for row in rows:
        if row["kind"] == "order":
            digests[row["id"]] = row["a"]
        elif row["kind"] == "party":
            found[row["id"]] = Party(level=PartnerLevel(row["a"]), parent_id=row["b"])
        else:
            currencies[row["id"]] = row["a"]
    return _KnownFacts(digests=digests, parties=found, currencies=currencies)


def _check_resubmitted(order_number: str, stored: str, digest: str) -> None:
    if stored != digest:
        raise Conflict(
            f"Order {order_number!r} was already submitted with different contents. "
            "An order number identifies one order: submit changes as a new order."
        )


def _read_orders(conn: Connection, order_numbers: list[str]) -> dict[str, Order]:
    rows = conn.execute(select(orders).where(orders.c.order_number.in_(order_numbers))).mappings()
    return {order.order_number: order for order in _orders_with_items(conn, list(rows))}


# The orders and their items in one statement; nothing for a number already taken.
_INSERT_ORDERS = text(
    """
    with new_orders as (
        insert into orders (
            order_number, issuer_id, customer_id, request_digest, type, resold, aligns_end_date)
        select * from unnest(
            cast(:order_numbers as text[]), cast(:issuer_ids as text[]),
            cast(:customer_ids as text[]), cast(:digests as text[]), cast(:types as text[]),
            cast(:resold as boolean[]), cast(:aligns as boolean[]))
        on conflict (order_number) do nothing
        returning order_number, status, created_at
    ),
    new_items as (
        insert into order_items (
            order_number, item_id, position, offer_id, quantity,
            invoice_group_number, bill_to_contact, payment_term)
        select i.order_number, i.item_id, i.position, i.offer_id, i.quantity,
               i.invoice_group_number, i.bill_to_contact, i.payment_term
        from unnest(
            cast(:item_orders as text[]), cast(:item_ids as text[]),
            cast(:positions as integer[]), cast(:offer_ids as text[]),
            cast(:quantities as integer[]), cast(:groups as text[]),
            cast(:contacts as text[]), cast(:terms as text[])
        ) as i(order_number, item_id, position, offer_id, quantity,
               invoice_group_number, bill_to_contact, payment_term)
        join new_orders using (order_number)
        returning *
    )
    select new_items.*, new_orders.status as order_status, new_orders.created_at as order_created_at
    from new_items join new_orders using (order_number)
    order by new_items.order_number, new_items.position
    """
)


def _insert(conn: Connection, bodies: list[OrderIn], digests: dict[str, str]) -> dict[str, Order]:
    """The orders recorded now, by number; one that a concurrent submission recorded first is
    left out. The insert returns the rows as stored (defaults included), so the answer needs no
    read-back of the new orders."""
    # In order of number, so that two batches sharing numbers take their locks in one order.
    bodies = sorted(bodies, key=lambda body: body.order_number)
    items = [
        (body.order_number, position, item)
        for body in bodies
        for position, item in enumerate(body.items)
    ]
    params = {
        "order_numbers": [body.order_number for body in bodies],
        "issuer_ids": [body.issuer_id for body in bodies],
        "customer_ids": [body.customer_id for body in bodies],
        "digests": [digests[body.order_number] for body in bodies],
        "types": [body.type.value for body in bodies],
        "resold": [body.resold for body in bodies],
        "aligns": [body.aligns_end_date for body in bodies],
        "item_orders": [number for number, _, _ in items],
        "item_ids": [item.item_id for _, _, item in items],
        "positions": [position for _, position, _ in items],
        "offer_ids": [item.offer_id for _, _, item in items],
        "quantities": [item.quantity for _, _, item in items],
        "groups": [item.invoice_group_number for _, _, item in items],
        "contacts": [item.bill_to_contact for _, _, item in items],
        "terms": [item.payment_term.value if item.payment_term else None for _, _, item in items],
    }
    by_number: dict[str, list[Any]] = {}
    for row in conn.execute(_INSERT_ORDERS, params).mappings():
        by_number.setdefault(row["order_number"], []).append(row)
    order_rows = [
        {
            "order_number": body.order_number,
            "issuer_id": body.issuer_id,
            "customer_id": body.customer_id,
            "status": by_number[body.order_number][0]["order_status"],
            "created_at": by_number[body.order_number][0]["order_created_at"],
            "stuck_since": None,
            "completed_at": None,
            "type": body.type.value,
            "resold": body.resold,
            "aligns_end_date": body.aligns_end_date,
            "paid_at": None,
        }
        for body in bodies
        if body.order_number in by_number
    ]
    items_by_order = {n: [_item(row) for row in rows] for n, rows in by_number.items()}
    return {order.order_number: order for order in _assemble(order_rows, items_by_order, {})}


def get_order(conn: Connection, order_number: str, *, visible_to: str | None = None) -> Order:
    """`visible_to`: a partner, who sees the orders it issued (else: not found, as for an
    unknown number)."""
    query = seen_by(
        select(orders).where(orders.c.order_number == order_number), visible_to, orders.c.issuer_id
    )
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"No order with number {order_number!r}.")
    return _orders_with_items(conn, [row])[0]


def _orders_with_items(conn: Connection, rows: list[Any]) -> list[Order]:
    numbers = [row["order_number"] for row in rows]
    items: dict[str, list[OrderItem]] = {n: [] for n in numbers}
    for item in conn.execute(
        select(order_items)
        .where(order_items.c.order_number.in_(numbers))
        .order_by(order_items.c.order_number, order_items.c.position)
    ).mappings():
        items[item["order_number"]].append(_item(item))
    # A per-order invoice is written in the transaction that completes its order, so orders
    # still waiting (every report's answer) need no look-up.
    completed = [row["order_number"] for row in rows if row["status"] == OrderStatus.completed]
    invoice_ids = _per_order_invoice_ids(conn, completed) if completed else {}
    return _assemble(rows, items, invoice_ids)


def _per_order_invoice_ids(conn: Connection, order_numbers: list[str]) -> dict[str, Any]:
    return dict(
        conn.execute(
            select(invoices.c.order_number, invoices.c.id).where(
                invoices.c.order_number.in_(order_numbers),
                invoices.c.type == InvoiceType.per_order,
            )
        ).all()
    )


def _item(row: Any) -> OrderItem:
    return OrderItem(
        item_id=row["item_id"],
        offer_id=row["offer_id"],
        quantity=row["quantity"],
        provisioning=row["provisioning"],
        reason=row["provisioning_reason"],
        reported_at=row["reported_at"],
        reported_by=row["reported_by"],
        invoice_frequency=row["invoice_frequency"],
        invoice_group_number=row["invoice_group_number"],
        bill_to_contact=row["bill_to_contact"],
        payment_term=row["payment_term"],
    )


def _assemble(
    rows: list[Any], items: dict[str, list[OrderItem]], invoice_ids: Mapping[str, Any]
) -> list[Order]:
    return [
        Order(
            order_number=row["order_number"],
            issuer_id=row["issuer_id"],
            customer_id=row["customer_id"],
            status=row["status"],
            created_at=row["created_at"],
            stuck_since=row["stuck_since"],
            completed_at=row["completed_at"],
            items=items[row["order_number"]],
            pending_items=[
                i.item_id
                for i in items[row["order_number"]]
                if i.provisioning is ProvisioningState.pending
            ],
            invoice_id=str(invoice_ids[row["order_number"]])
            if row["order_number"] in invoice_ids
            else None,
            type=row["type"],
            resold=row["resold"],
            aligns_end_date=row["aligns_end_date"],
            paid_at=row["paid_at"],
        )
        for row in rows
    ]


# Orders whose workflow is still waiting for provisioning outcomes.
WAITING = (OrderStatus.awaiting_provisioning, OrderStatus.stuck)


def status_among(statuses: Iterable[OrderStatus]) -> ColumnElement[bool]:
    """`status in (...)` with the statuses written into the statement rather than bound, so
    that a plan PostgreSQL keeps for the prepared statement can still use the partial indexes
    whose predicates name statuses (the waiting orders', the stuck orders')."""
    values = [status.value for status in statuses]
    return orders.c.status.in_(
        bindparam("statuses", values, expanding=True, literal_execute=True, unique=True)
    )


# Oldest first (the default: a client reading every order in turn) or newest first.
OrderSort = Literal["created_at", "-created_at"]


def list_orders(
    conn: Connection,
    *,
    status: OrderStatus | tuple[OrderStatus, ...] | None = None,
    customer_id: str | None = None,
    issuer_id: str | None = None,
    created_before: datetime | None = None,
    visible_to: str | None = None,
    sort: OrderSort = "created_at",
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Order]:
    query = seen_by(select(orders), visible_to, orders.c.issuer_id)
    if status is not None:
        query = query.where(status_among((status,) if isinstance(status, OrderStatus) else status))
    if created_before is not None:
        query = query.where(orders.c.created_at < created_before)
    if customer_id is not None:
        query = query.where(orders.c.customer_id == customer_id)
    if issuer_id is not None:
        query = query.where(orders.c.issuer_id == issuer_id)
    rows, next_cursor = keyset_page(
        conn,
        query,
        order=[orders.c.created_at, orders.c.order_number],
        descending=sort.startswith("-"),
        cursor=cursor,
        limit=limit,
    )
    page = _orders_with_items(conn, rows)
    return Page[Order](items=page, next_cursor=next_cursor)


def record_outcome(
    conn: Connection,
    order_number: str,
    item_id: str,
    body: ProvisioningIn,
) -> tuple[Order, bool]:
    """Record an item's provisioning outcome once. The same outcome again changes nothing (order
    systems retry); a different one is refused. Returns the order and whether anything changed."""
    order, changed = record_outcomes(conn, order_number, {item_id: body})
    return order, bool(changed)


def record_outcomes(
    conn: Connection, order_number: str, reports: Mapping[str, ProvisioningIn]
) -> tuple[Order, list[str]]:
    """Record several items' outcomes at once, all or none: each as `record_outcome` would, in
    one locking read of the order and its items and one update that returns what it wrote, from
    which the answer is built. Returns the order and the items that changed."""
    rows = conn.execute(_LOCK_ORDER_ITEMS, {"order_number": order_number}).mappings().all()
    if not rows:
        raise NotFound(f"No order with number {order_number!r}.")
    found = {row["item_id"]: row for row in rows}
    missing = [item_id for item_id in reports if item_id not in found]
    if missing:
        raise NotFound(f"Order {order_number!r} has no item {missing[0]!r}.")
    pending = []
    for item_id, body in reports.items():
        item = found[item_id]
        if item["provisioning"] == ProvisioningState.pending:
            pending.append(item_id)
        elif item["provisioning"] != body.outcome:
            raise Conflict(
                f"Item {item_id!r} of order {order_number!r} was already reported "
                f"{item['provisioning']} at {item['reported_at']:%Y-%m-%d %H:%M:%S %Z}; an "
                "outcome, once recorded, is final."
            )
    items = {item_id: _item(row) for item_id, row in found.items()}
    if pending:
        for row in conn.execute(
            _RECORD_OUTCOMES,
            _outcome_params(order_number, [(item_id, reports[item_id]) for item_id in pending]),
        ).mappings():
            items[row["item_id"]] = _item(row)
        audited = [item_id for item_id in pending if isinstance(reports[item_id], ManualOutcomeIn)]
        if audited:
            conn.execute(
                insert(audit_log),
                [_audit_entry(order_number, item_id, reports[item_id]) for item_id in audited],
            )
    order_row = {key.removeprefix("order_"): rows[0][key] for key in _ORDER_COLUMNS}
    order_row["order_number"] = order_number
    invoice_ids = (
        _per_order_invoice_ids(conn, [order_number])
        if order_row["status"] == OrderStatus.completed
        else {}
    )
    return _assemble([order_row], {order_number: list(items.values())}, invoice_ids)[0], pending


_ORDER_COLUMNS = [
    f"order_{column}"
    for column in (
        "issuer_id",
        "customer_id",
        "status",
        "created_at",
        "stuck_since",
        "completed_at",
        "type",
        "resold",
        "aligns_end_date",
        "paid_at",
    )
]
# Every item of the order is locked, not only the reported ones: reports on one order take
# their turns, and the answer shows the order as it is once this report is recorded.
_LOCK_ORDER_ITEMS = (
    select(
        *order_items.c, *(orders.c[key.removeprefix("order_")].label(key) for key in _ORDER_COLUMNS)
    )
    .join(orders, orders.c.order_number == order_items.c.order_number)
    .where(order_items.c.order_number == bindparam("order_number"))
    .order_by(order_items.c.position)
    .with_for_update(of=order_items)
)


# The outcomes of the report's pending items in one statement, returning the items as stored.
_RECORD_OUTCOMES = text(
    """
    update order_items as i
    set provisioning = r.outcome,
        provisioning_reason = r.reason,
        provisioned_at = case when r.succeeded then coalesce(r.provisioned_at, now()) end,
        reported_at = now(),
        reported_by = r.operator
    from unnest(
        cast(:item_ids as text[]), cast(:outcomes as text[]), cast(:reasons as text[]),
        cast(:succeeded as boolean[]), cast(:provisioned_at as timestamptz[]),
        cast(:operators as text[])
    ) as r(item_id, outcome, reason, succeeded, provisioned_at, operator)
    where i.order_number = :order_number and i.item_id = r.item_id
    returning i.*
    """
)


def _outcome_params(
    order_number: str, reported: list[tuple[str, ProvisioningIn]]
) -> dict[str, Any]:
    return {
        "order_number": order_number,
        "item_ids": [item_id for item_id, _ in reported],
        "outcomes": [body.outcome.value for _, body in reported],
        "reasons": [body.reason for _, body in reported],
        # Only a succeeded item starts a subscription, then or now.
        "succeeded": [body.outcome is Outcome.succeeded for _, body in reported],
        "provisioned_at": [body.provisioned_at for _, body in reported],
        "operators": [
            body.operator if isinstance(body, ManualOutcomeIn) else None for _, body in reported
        ],
    }


def _audit_entry(order_number: str, item_id: str, body: ProvisioningIn) -> dict[str, Any]:
    assert isinstance(body, ManualOutcomeIn)
    return {
        "actor": body.operator,
        "action": "provisioning.recorded_by_hand",
        "subject": f"order:{order_number}:item:{item_id}",
        "detail": {"outcome": body.outcome.value, "reason": body.reason},
    }


def mark_stuck(conn: Connection, order_number: str) -> dict[str, Outcome]:
    """Flag an order that still waits past its threshold, and return the outcomes the database
    holds, so a workflow that missed a signal catches up."""
    marked = conn.execute(
        update(orders)
        .where(
            orders.c.order_number == order_number,
            orders.c.status == OrderStatus.awaiting_provisioning,
            exists().where(
                order_items.c.order_number == order_number,
                order_items.c.provisioning == ProvisioningState.pending,
            ),
        )
        .values(status=OrderStatus.stuck.value, stuck_since=func.now())
        .returning(orders.c.issuer_id, orders.c.customer_id)
    ).first()
    if marked is not None:
        record_event(
            conn,
            marked.issuer_id,
            WebhookEventType.order_stuck,
            order_number,
            {"order_number": order_number, "customer_id": marked.customer_id},
        )
    return reported_outcomes(conn, order_number)


def reported_outcomes(conn: Connection, order_number: str) -> dict[str, Outcome]:
    return {
        item_id: Outcome(state)
        for item_id, state in conn.execute(
            select(order_items.c.item_id, order_items.c.provisioning).where(
                order_items.c.order_number == order_number,
                order_items.c.provisioning != ProvisioningState.pending,
            )
        ).all()
    }
