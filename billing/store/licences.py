"""Licence tokens an administrator grants a partner (a feature is active only with its token)."""

from __future__ import annotations

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects.postgresql import insert

from billing.schema import partner_licences
from billing.store.partners_exist import ensure_partner


def grant(conn: Connection, partner_id: str, token: str) -> list[str]:
    ensure_partner(conn, partner_id)
    conn.execute(
        insert(partner_licences).values(partner_id=partner_id, token=token).on_conflict_do_nothing()
    )
    return licences_of(conn, partner_id)


def revoke(conn: Connection, partner_id: str, token: str) -> list[str]:
    ensure_partner(conn, partner_id)
    conn.execute(
        delete(partner_licences).where(
            partner_licences.c.partner_id == partner_id, partner_licences.c.token == token
        )
    )
    return licences_of(conn, partner_id)


def licences_of(conn: Connection, partner_id: str) -> list[str]:
    return list(
        conn.execute(
            select(partner_licences.c.token)
            .where(partner_licences.c.partner_id == partner_id)
            .order_by(partner_licences.c.token)
        ).scalars()
    )


def has_licence(conn: Connection, partner_id: str, token: str) -> bool:
    return (
        conn.scalar(
            select(partner_licences.c.token).where(
                partner_licences.c.partner_id == partner_id, partner_licences.c.token == token
            )
        )
        is not None
    )
