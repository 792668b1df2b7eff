"""The one check every partner-keyed write starts with."""

from __future__ import annotations

from sqlalchemy import Connection, select

from billing.errors import InvalidRequest, NotFound
from billing.schema import partners
from billing.vocabulary import PartnerLevel


def ensure_partner(conn: Connection, partner_id: str) -> str:
    """The partner's level; NotFound when there is no such partner."""
    level = conn.scalar(select(partners.c.level).where(partners.c.id == partner_id))
    if level is None:
        raise NotFound(f"No partner with id {partner_id!r}.")
    return str(level)


def ensure_issuer(conn: Connection, partner_id: str) -> None:
    if PartnerLevel(ensure_partner(conn, partner_id)) is PartnerLevel.customer:
        raise InvalidRequest(f"{partner_id!r} is a customer and issues no invoices.")
