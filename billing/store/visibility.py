"""What a partner's token sees: rows where the partner is one of the named parties (issuer,
receiver, parent). The administrator (`visible_to` None) sees everything."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_


def seen_by(query: Any, visible_to: str | None, *parties: ColumnElement[Any]) -> Any:
    if visible_to is None:
        return query
    return query.where(or_(*(party == visible_to for party in parties)))
