"""Legal entities of an issuer: PUT creates or replaces, keyed by the caller's id."""

from __future__ import annotations

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects.postgresql import insert

from billing.contracts.accounting import LegalEntity, LegalEntityIn
from billing.errors import Conflict, NotFound
from billing.schema import legal_entities
from billing.store.partners_exist import ensure_issuer


def put_legal_entity(
    conn: Connection, entity_id: str, body: LegalEntityIn, *, visible_to: str | None = None
) -> LegalEntity:
    if visible_to is not None and body.issuer_id != visible_to:
        raise NotFound(f"No partner with id {body.issuer_id!r}.")
    existing = conn.scalar(
        select(legal_entities.c.issuer_id).where(legal_entities.c.id == entity_id)
    )
    if existing is not None and visible_to is not None and existing != visible_to:
        raise NotFound(f"No legal entity with id {entity_id!r}.")
    if existing is not None and existing != body.issuer_id:
        raise Conflict(
            f"Legal entity {entity_id!r} belongs to {existing!r}; its accounting periods and "
            "pre-invoices stay with it. Create a new legal entity for the other issuer."
        )
    ensure_issuer(conn, body.issuer_id)
    values = {"issuer_id": body.issuer_id, "name": body.name, "active": body.active}
    conn.execute(
        insert(legal_entities)
        .values(id=entity_id, **values)
        .on_conflict_do_update(
            index_elements=[legal_entities.c.id], set_={**values, "updated_at": func.now()}
        )
    )
    return get_legal_entity(conn, entity_id)


def get_legal_entity(
    conn: Connection, entity_id: str, *, visible_to: str | None = None
) -> LegalEntity:
    query = select(legal_entities).where(legal_entities.c.id == entity_id)
    if visible_to is not None:
        query = query.where(legal_entities.c.issuer_id == visible_to)
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"No legal entity with id {entity_id!r}.")
    return LegalEntity(
        id=row["id"], issuer_id=row["issuer_id"], name=row["name"], active=row["active"]
    )
