"""Accounting periods of a legal entity. Periods of one legal entity never overlap: every write
takes the legal entity's row lock first, so two writers cannot both pass the overlap check.
A period cannot be closed for invoicing while open pre-invoices are assigned to it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects.postgresql import insert

from billing.contracts.accounting import AccountingPeriod, AccountingPeriodIn
from billing.errors import Conflict, InvalidRequest, NotFound
from billing.schema import accounting_periods, invoices, legal_entities
from billing.vocabulary import InvoiceType, PreInvoiceStatus

# How many open pre-invoices a refusal names before it says "and N more".
_NAMED = 20


def put_accounting_period(
    conn: Connection, period_id: str, body: AccountingPeriodIn, *, visible_to: str | None = None
) -> AccountingPeriod:
    if visible_to is not None and body.issuer_id != visible_to:
        raise NotFound(f"No partner with id {body.issuer_id!r}.")
    entity = conn.execute(
        select(legal_entities.c.issuer_id)
        .where(legal_entities.c.id == body.legal_entity_id)
        .with_for_update()
    ).first()
    if entity is None or (visible_to is not None and entity.issuer_id != visible_to):
        raise InvalidRequest(f"Unknown legal entity {body.legal_entity_id!r}; create it first.")
    if entity.issuer_id != body.issuer_id:
        raise InvalidRequest(
            f"Legal entity {body.legal_entity_id!r} belongs to {entity.issuer_id!r}, "
            f"not {body.issuer_id!r}."
        )
    current = (
        conn.execute(
            select(accounting_periods).where(accounting_periods.c.id == period_id).with_for_update()
        )
        .mappings()
        .first()
    )
    if current is not None:
        if visible_to is not None and current["issuer_id"] != visible_to:
            raise NotFound(f"No accounting period with id {period_id!r}.")
        _check_change(conn, period_id, current, body)
    overlapping = conn.execute(
        select(
            accounting_periods.c.id, accounting_periods.c.starts_on, accounting_periods.c.ends_on
        )
        .where(
            accounting_periods.c.legal_entity_id == body.legal_entity_id,
            accounting_periods.c.id != period_id,
            accounting_periods.c.starts_on <= body.ends_on,
            accounting_periods.c.ends_on >= body.starts_on,
        )
        .order_by(accounting_periods.c.starts_on)
    ).first()
    if overlapping is not None:
        raise Conflict(
            f"Accounting period {overlapping.id!r} ({overlapping.starts_on} to "
            f"{overlapping.ends_on}) of legal entity {body.legal_entity_id!r} overlaps "
            f"{body.starts_on} to {body.ends_on}; periods of one legal entity never overlap."
        )
    values = body.model_dump()
    conn.execute(
        insert(accounting_periods)
        .values(id=period_id, **values)
        .on_conflict_do_update(
            index_elements=[accounting_periods.c.id], set_={**values, "updated_at": func.now()}
        )
    )
    return get_accounting_period(conn, period_id)


def _check_change(conn: Connection, period_id: str, current: Any, body: AccountingPeriodIn) -> None:
    if current["legal_entity_id"] != body.legal_entity_id or current["issuer_id"] != body.issuer_id:
        raise Conflict(
            f"Accounting period {period_id!r} belongs to legal entity "
            f"{current['legal_entity_id']!r}; create a new period for another one."
        )
    assigned = assigned_pre_invoices(conn, period_id, open_only=False)
    moved = (current["starts_on"], current["ends_on"]) != (body.starts_on, body.ends_on)
    if moved and assigned:
        raise Conflict(
            f"Accounting period {period_id!r} holds pre-invoices ({_names(assigned)}); "
            "its dates cannot change any more."
        )
    if body.invoicing_closed and not current["invoicing_closed"]:
        still_open = assigned_pre_invoices(conn, period_id, open_only=True)
        if still_open:
            raise Conflict(
                f"Accounting period {period_id!r} cannot be closed for invoicing: open "
                f"pre-invoices are assigned to it ({_names(still_open)}). Finalize them "
                "first (POST /v1/invoices/{id}/finalize)."
            )


def _names(numbers: list[tuple[str, str]]) -> str:
    named = ", ".join(f"{number} ({invoice_id})" for number, invoice_id in numbers[:_NAMED])
    rest = len(numbers) - _NAMED
    return named + (f" and {rest} more" if rest > 0 else "")


def assigned_pre_invoices(
    conn: Connection, period_id: str, *, open_only: bool
) -> list[tuple[str, str]]:
    query = select(invoices.c.number, invoices.c.id).where(
        invoices.c.type == InvoiceType.pre_invoice.value,
        invoices.c.accounting_period_id == period_id,
    )
    if open_only:
        query = query.where(invoices.c.status == PreInvoiceStatus.open.value)
    return [(row.number, str(row.id)) for row in conn.execute(query.order_by(invoices.c.number))]


def _view(row: Any) -> AccountingPeriod:
    return AccountingPeriod.model_validate(
        {name: row[name] for name in AccountingPeriod.model_fields}
    )


def get_accounting_period(
    conn: Connection, period_id: str, *, visible_to: str | None = None
) -> AccountingPeriod:
    query = select(accounting_periods).where(accounting_periods.c.id == period_id)
    if visible_to is not None:
        query = query.where(accounting_periods.c.issuer_id == visible_to)
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"No accounting period with id {period_id!r}.")
    return _view(row)


def list_accounting_periods(
    conn: Connection, *, issuer_id: str | None, visible_to: str | None = None
) -> list[AccountingPeriod]:
    query = select(accounting_periods)
    if issuer_id is not None:
        query = query.where(accounting_periods.c.issuer_id == issuer_id)
    if visible_to is not None:
        query = query.where(accounting_periods.c.issuer_id == visible_to)
    rows = conn.execute(
        query.order_by(
            accounting_periods.c.issuer_id,
            accounting_periods.c.legal_entity_id,
            accounting_periods.c.starts_on,
        )
    ).mappings()
    return [_view(row) for row in rows]
