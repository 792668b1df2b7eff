"""Switching delta invoicing on for an issuer. The checks run in this order: the licence, then
an active legal entity and an accounting period; nothing is saved unless all pass. Once on, it
stays on: nothing in the engine clears `delta_invoicing_enabled_at`."""

from __future__ import annotations

from sqlalchemy import Connection, exists, func, select, update

from billing.contracts.accounting import DELTA_INVOICING_LICENCE, DeltaInvoicing
from billing.errors import Conflict, Forbidden
from billing.schema import accounting_periods, legal_entities, partners
from billing.store.licences import has_licence
from billing.store.partners_exist import ensure_issuer


def delta_invoicing_of(conn: Connection, partner_id: str) -> DeltaInvoicing:
    enabled_at = conn.scalar(
        select(partners.c.delta_invoicing_enabled_at).where(partners.c.id == partner_id)
    )
    return DeltaInvoicing(enabled=enabled_at is not None, enabled_at=enabled_at)


def enable_delta_invoicing(conn: Connection, issuer_id: str) -> DeltaInvoicing:
    ensure_issuer(conn, issuer_id)
    # Serialise with other switches of the same issuer.
    conn.execute(select(partners.c.id).where(partners.c.id == issuer_id).with_for_update())
    current = delta_invoicing_of(conn, issuer_id)
    if current.enabled:
        return current
    if not has_licence(conn, issuer_id, DELTA_INVOICING_LICENCE):
        raise Forbidden(
            f"Delta invoicing: feature not active. {issuer_id!r} has no "
            f"{DELTA_INVOICING_LICENCE} licence; an administrator grants it with "
            f"PUT /v1/partners/{issuer_id}/licences/{DELTA_INVOICING_LICENCE}."
        )
    active_entity = exists().where(
        legal_entities.c.issuer_id == issuer_id, legal_entities.c.active.is_(True)
    )
    period = exists().where(accounting_periods.c.issuer_id == issuer_id)
    has_entity, has_period = conn.execute(select(active_entity, period)).one()
    missing = []
    if not has_entity:
        missing.append("an active legal entity (PUT /v1/legal-entities/{id} with active true)")
    if not has_period:
        missing.append("an accounting period (PUT /v1/accounting-periods/{id})")
    if missing:
        raise Conflict(
            f"Delta invoicing needs {' and '.join(missing)} for {issuer_id!r}; nothing was changed."
        )
    conn.execute(
        update(partners)
        .where(partners.c.id == issuer_id)
        .values(delta_invoicing_enabled_at=func.now(), updated_at=func.now())
    )
    return delta_invoicing_of(conn, issuer_id)


def refuse_to_disable(conn: Connection, issuer_id: str) -> None:
    ensure_issuer(conn, issuer_id)
    state = "is on" if delta_invoicing_of(conn, issuer_id).enabled else "is off"
    raise Conflict(
        f"Delta invoicing cannot be disabled: once enabled it stays enabled, because pre-invoices "
        f"already hold only the differences to what was invoiced before. For {issuer_id!r} it "
        f"{state}."
    )
