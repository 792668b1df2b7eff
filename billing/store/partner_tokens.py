"""Partner API tokens: a partner's own bearer token, stored only as its SHA-256."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import Connection, insert, select

from billing.errors import NotFound
from billing.schema import partner_tokens, partners

PREFIX = "bpt_"


def token_hash(token: str) -> str:
    # Tokens are 256 random bits, so a plain SHA-256 (no salt, no stretching) cannot be reversed
    # and lets the lookup be an index probe.
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(conn: Connection, partner_id: str, label: str) -> str:
    if conn.scalar(select(partners.c.id).where(partners.c.id == partner_id)) is None:
        raise NotFound(f"No partner with id {partner_id!r}.")
    token = PREFIX + secrets.token_urlsafe(32)
    conn.execute(
        insert(partner_tokens).values(
            token_hash=token_hash(token), partner_id=partner_id, label=label
        )
    )
    return token


def partner_for_token(conn: Connection, token: str) -> str | None:
    if not token.startswith(PREFIX):
        return None
    partner_id: str | None = conn.scalar(
        select(partner_tokens.c.partner_id).where(partner_tokens.c.token_hash == token_hash(token))
    )
    return partner_id
