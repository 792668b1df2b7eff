"""Partner API tokens: a partner's own bearer token, stored only as its SHA-256, with scopes,
an optional expiry, revocation and when it was last used."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, text, update

from billing.contracts.partner_tokens import IssuedToken, TokenIn, TokenView
from billing.errors import NotFound
from billing.schema import partner_tokens, partners
from billing.vocabulary import PartnerLevel, TokenScope

PREFIX = "bpt_"
# Last use is recorded at most this often per token, so reads do not all turn into writes.
_LAST_USED_GRANULARITY = text("interval '1 minute'")


@dataclass(frozen=True)
class TokenHolder:
    partner_id: str
    level: PartnerLevel
    scopes: frozenset[TokenScope]


@dataclass(frozen=True)
class RefusedToken:
    reason: str


def token_hash(token: str) -> str:
    # Tokens are 256 random bits, so a plain SHA-256 (no salt, no stretching) cannot be reversed
    # and lets the lookup be an index probe.
    return hashlib.sha256(token.encode()).hexdigest()


def _ensure_partner(conn: Connection, partner_id: str) -> None:
    if conn.scalar(select(partners.c.id).where(partners.c.id == partner_id)) is None:
        raise NotFound(f"No partner with id {partner_id!r}.")


def _view(row: Any) -> TokenView:
    return TokenView(
        id=str(row.id),
        partner_id=row.partner_id,
        label=row.label,
        scopes=sorted(TokenScope(s) for s in row.scopes),
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def issue_token(conn: Connection, partner_id: str, body: TokenIn) -> IssuedToken:
    _ensure_partner(conn, partner_id)
    token = PREFIX + secrets.token_urlsafe(32)
    row = conn.execute(
        insert(partner_tokens)
        .values(
            token_hash=token_hash(token),
            partner_id=partner_id,
            label=body.label,
            scopes=[s.value for s in body.scopes],
            expires_at=body.expires_at,
        )
        .returning(*partner_tokens.c)
    ).one()
    return IssuedToken(**_view(row).model_dump(), token=token)


def list_tokens(conn: Connection, partner_id: str) -> list[TokenView]:
    _ensure_partner(conn, partner_id)
    rows = conn.execute(
        select(partner_tokens)
        .where(partner_tokens.c.partner_id == partner_id)
        .order_by(partner_tokens.c.created_at, partner_tokens.c.id)
    )
    return [_view(row) for row in rows]


def revoke_token(conn: Connection, partner_id: str, token_id: str) -> TokenView:
    """Revoke a token at once; revoking it again changes nothing."""
    try:
        key = uuid.UUID(token_id)
    except ValueError:
        key = None
    row = (
        conn.execute(
            update(partner_tokens)
            .where(partner_tokens.c.partner_id == partner_id, partner_tokens.c.id == key)
            .values(revoked_at=func.coalesce(partner_tokens.c.revoked_at, func.now()))
            .returning(*partner_tokens.c)
        ).first()
        if key is not None
        else None
    )
    if row is None:
        raise NotFound(f"Partner {partner_id!r} has no token with id {token_id!r}.")
    return _view(row)


def token_holder(conn: Connection, token: str, now: datetime) -> TokenHolder | RefusedToken | None:
    """Who holds `token`, or why it no longer works, or None for a token never issued."""
    if not token.startswith(PREFIX):
        return None
    row = conn.execute(
        select(partner_tokens, partners.c.level)
        .join(partners, partners.c.id == partner_tokens.c.partner_id)
        .where(partner_tokens.c.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    if row.revoked_at is not None:
        return RefusedToken("This token was revoked; ask the administrator for a new one.")
    if row.expires_at is not None and row.expires_at <= now:
        return RefusedToken("This token has expired; ask the administrator for a new one.")
    conn.execute(
        update(partner_tokens)
        .where(
            partner_tokens.c.token_hash == row.token_hash,
            (partner_tokens.c.last_used_at.is_(None))
            | (partner_tokens.c.last_used_at < func.now() - _LAST_USED_GRANULARITY),
        )
        .values(last_used_at=func.now())
    )
    return TokenHolder(
        partner_id=row.partner_id,
        level=PartnerLevel(row.level),
        scopes=frozenset(TokenScope(s) for s in row.scopes),
    )
